#!/usr/bin/env python3
"""moto 5.2.1 on loopback, with the gaps that stop the Terraform AWS provider patched.

Terraform's AWS provider (hashicorp/aws 5.100.0) retries until it times out, or plans a change
on every run, where moto 5.2.1 leaves out what AWS answers. Each patch below fills one such gap
and nothing else; the project's code and the stack are never adapted to moto.

Usage: python3 moto-launcher.py [--port PORT] [--http-port PORT] [--trace FILE]

Serves HTTPS on 127.0.0.1 only, with a certificate made at start for 127.0.0.1 (AWS speaks
nothing else, and the stack's bucket policy refuses object requests without TLS), and plain HTTP
on a second port (for Terraform: over TLS this development server now and then loses a response
on a busy machine, and the AWS SDK then retries a create that had succeeded). Port 0, the default, picks a free one. Once both accept
connections it prints one JSON line: {"endpoint": "https://127.0.0.1:P", "http_endpoint":
"http://127.0.0.1:Q", "ca_bundle": "/tmp/.../moto.pem"} (give clients the certificate:
AWS_CA_BUNDLE, or an HTTPS agent's `ca`). It stops by itself when its standard input closes
(the process that started it ended) or on SIGTERM/SIGINT. Every answer with an error status is
written to standard error as one JSON object (service, action, status, code, message), so a
failing deploy can say what moto answered.
"""
import argparse
import datetime
import ipaddress
import json
import logging
import os
import signal
import ssl
import sys
import tempfile
import threading
import time

import moto

MOTO_VERSION = "5.2.1"


def patch_sqs():
    """GetQueueAttributes: return RedriveAllowPolicy, and RedrivePolicy as compact JSON (as AWS does)."""
    from moto.sqs.models import Queue

    if "RedriveAllowPolicy" not in Queue.BASE_ATTRIBUTES:
        Queue.BASE_ATTRIBUTES.append("RedriveAllowPolicy")
    # Stored by _set_attributes (as redrive_allow_policy) but never listed: absent until set.
    Queue.redrive_allow_policy = None
    original = Queue.attributes.fget

    def attributes(self):
        result = original(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        # Removing it sets it to "": AWS then leaves it out, as if never set.
        result["RedriveAllowPolicy"] = self.redrive_allow_policy or None
        return result

    Queue.attributes = property(attributes)


def patch_sqs_deletes():
    """Delete messages under the queue's lock.

    moto deletes a message by rebuilding the queue's message list without holding a lock, so
    concurrent DeleteMessageBatch calls (the drain keeps four in flight) undo each other's
    deletes and the messages come back after their visibility timeout. SQS loses no delete.
    """
    from moto.sqs.models import Queue

    original = Queue.delete_message

    def delete_message(self, receipt_handle):
        with self._messages_lock:
            return original(self, receipt_handle)

    Queue.delete_message = delete_message


def patch_sqs_speed():
    """Speed only, no change of behaviour: moto's SQS is quadratic in the queue's length.

    Every message sent or received recomputes all queue attributes (counting every message,
    each count calling moto's slow datetime-based clock), so draining a few thousand messages
    takes minutes. The clock becomes time.time() (the same value), and the retention check reads
    the retention period instead of recomputing every attribute.
    """
    import time

    import moto.sqs.models as models
    from moto.core.utils import unix_time

    models.unix_time = lambda dt=None: time.time() if dt is None else unix_time(dt)
    models.unix_time_millis = lambda dt=None: (time.time() if dt is None else unix_time(dt)) * 1000.0

    def is_message_valid_based_on_retention_period(self, queue_name, message):
        return self.get_queue(queue_name).message_retention_period + message.sent_timestamp / 1000 > time.time()

    models.SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period


def patch_stepfunctions():
    """ValidateStateMachineDefinition and ListStateMachineVersions (the provider calls both)."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def validate_state_machine_definition(self):
        # The definition was validated already (asl-validator in the project's own tests).
        return ActionResult({"result": "OK", "diagnostics": [], "truncated": False})

    def list_state_machine_versions(self):
        # Only needs the state machine to exist; versions are never published by the stack.
        self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        return ActionResult({"stateMachineVersions": []})

    StepFunctionResponse.validate_state_machine_definition = validate_state_machine_definition
    StepFunctionResponse.list_state_machine_versions = list_state_machine_versions


def patch_iam():
    """ListServiceSpecificCredentials (the provider lists them before deleting a user)."""
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    def list_service_specific_credentials(self):
        user_name = self._get_param("UserName")
        if user_name:
            self.backend.get_user(user_name)  # NoSuchEntity, as AWS answers, for a missing user
        return ActionResult({"ServiceSpecificCredentials": []})

    IamResponse.list_service_specific_credentials = list_service_specific_credentials


def patch_lambda():
    """Keep LoggingConfig (and KMSKeyArn), which moto drops, so a second plan sees no change."""
    from moto.awslambda.models import LambdaFunction

    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def init(self, account_id, spec, *args, **kwargs):
        original_init(self, account_id, spec, *args, **kwargs)
        self.logging_config = spec.get("LoggingConfig") or {}
        self.kms_key_arn = spec.get("KMSKeyArn")

    def get_configuration(self, *args, **kwargs):
        config = original_get(self, *args, **kwargs)
        # AWS fills in these two when they are not set.
        config["LoggingConfig"] = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.function_name}", **self.logging_config}
        if self.kms_key_arn:
            config["KMSKeyArn"] = self.kms_key_arn
        return config

    def update_configuration(self, config_updates):
        if "LoggingConfig" in config_updates:
            self.logging_config = config_updates["LoggingConfig"] or {}
        if "KMSKeyArn" in config_updates:
            self.kms_key_arn = config_updates["KMSKeyArn"] or None
        original_update(self, config_updates)
        return self.get_configuration()

    LambdaFunction.__init__ = init
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration


# What the request being answered looks like to a bucket policy's conditions (set per request).
from moto_wsgi import REQUEST_CONTEXT, ErrorReporter  # noqa: E402 (beside this file)


def condition_holds(operator, actual, expected):
    if operator == "Bool":
        return actual.lower() == str(expected).lower()
    if operator.startswith("Numeric"):
        a, e = float(actual), float(expected)
        return {"NumericEquals": a == e, "NumericNotEquals": a != e, "NumericLessThan": a < e, "NumericLessThanEquals": a <= e,
                "NumericGreaterThan": a > e, "NumericGreaterThanEquals": a >= e}[operator]
    if operator == "StringEquals":
        return actual == expected
    if operator == "StringNotEquals":
        return actual != expected
    raise KeyError(operator)


def conditions_hold(conditions, context):
    """AWS's rule: every operator, every key; a key holds if any listed value matches; a missing key does not."""
    for operator, pairs in conditions.items():
        for key, expected in pairs.items():
            actual = context.get(key)
            values = expected if isinstance(expected, list) else [expected]
            if actual is None or not any(condition_holds(operator, actual, value) for value in values):
                return False
    return True


def patch_s3_bucket_policy():
    """Evaluate bucket policy conditions against the request.

    moto evaluates only StringEquals and takes any other condition as met, so the stack's
    TLS-only statements (Deny if Bool aws:SecureTransport is false, or NumericLessThan
    s3:TlsVersion 1.2) deny every object request. Here a statement applies only when its
    condition holds for this request: its scheme and TLS version.
    """
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self, action, resource):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy.decode() if isinstance(self.policy, bytes) else self.policy)
        statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        context = getattr(REQUEST_CONTEXT, "values", {})
        permitted = False
        for statement in statements:
            conditions = statement.get("Condition")
            try:
                if conditions and not conditions_hold(conditions, context):
                    continue
            except KeyError as unknown:
                raise NotImplementedError(f"bucket policy condition operator {unknown} is not evaluated by the launcher")
            unconditional = {key: value for key, value in statement.items() if key != "Condition"}
            result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
            if result == PermissionResult.DENIED:
                return result
            permitted = permitted or result == PermissionResult.PERMITTED
        return PermissionResult.PERMITTED if permitted else PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission


def certificate(directory):
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a day: (cert file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "moto on 127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file = os.path.join(directory, "moto.pem")
    key_file = os.path.join(directory, "moto.key")
    with open(cert_file, "wb") as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_file, key_file


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="HTTPS port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--http-port", type=int, default=0, help="plain HTTP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--trace", metavar="FILE", help="append every request to FILE, one JSON line each")
    args = parser.parse_args()

    if moto.__version__ != MOTO_VERSION:
        sys.exit(f"moto {MOTO_VERSION} is required (these patches are for it), found {moto.__version__}: pip install 'moto[server]=={MOTO_VERSION}'")

    from werkzeug.serving import WSGIRequestHandler, make_server

    class RequestHandler(WSGIRequestHandler):
        """Says when a connection breaks while a request is answered (werkzeug ignores it silently)."""

        def connection_dropped(self, error, environ=None):
            where = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}" if environ else "before the request was read"
            sys.stderr.write(f"connection dropped ({where}): {error!r}\n")
            sys.stderr.flush()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    patch_sqs()
    patch_sqs_deletes()
    patch_sqs_speed()
    patch_stepfunctions()
    patch_iam()
    patch_lambda()
    patch_s3_bucket_policy()

    # Errors only (TLS failures, tracebacks), as plain lines on stderr; requests are traced above.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = ErrorReporter(DomainDispatcherApplication(create_backend_app), open(args.trace, "a") if args.trace else None)
    certificates = tempfile.TemporaryDirectory(prefix="moto-launcher-")
    cert_file, key_file = certificate(certificates.name)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    servers = [
        make_server("127.0.0.1", args.port, app, threaded=True, ssl_context=context, request_handler=RequestHandler),
        make_server("127.0.0.1", args.http_port, app, threaded=True, request_handler=RequestHandler),
    ]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_stdin():
        # EOF: whoever started us is gone.
        while sys.stdin.buffer.read(65536):
            pass
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    https, http = servers
    print(json.dumps({"endpoint": f"https://127.0.0.1:{https.server_port}", "http_endpoint": f"http://127.0.0.1:{http.server_port}", "ca_bundle": cert_file}), flush=True)
    while not stop.wait(1):
        pass
    for server in servers:
        server.shutdown()
    certificates.cleanup()


if __name__ == "__main__":
    main()
