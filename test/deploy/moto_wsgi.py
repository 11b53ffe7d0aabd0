"""The launcher's WSGI middleware (test/deploy/moto-launcher.py): what each request ran under (for
the bucket policy conditions), a trace of every request, one JSON line on standard error for every
error answer, and the replay of answers an SDK retries after a lost response."""
import collections
import io
import json
import re
import ssl
import sys
import threading
import time

# The request being answered, as the bucket policy conditions see it (aws:SecureTransport, s3:TlsVersion).
REQUEST_CONTEXT = threading.local()


class ErrorReporter:
    """WSGI middleware: one JSON line on stderr for every answer with status >= 400 (and, with
    --trace FILE, one line in FILE for every request)."""

    def __init__(self, app, trace=None):
        self.app = app
        self.lock = threading.Lock()
        self.trace = trace
        # The successful answers to changing requests, by the SDK's invocation id (see replay).
        self.answered = collections.OrderedDict()

    def __call__(self, environ, start_response):
        connection = environ.get("werkzeug.socket")
        tls = connection.version() if isinstance(connection, ssl.SSLSocket) else None
        REQUEST_CONTEXT.values = {
            "aws:SecureTransport": "true" if tls else "false",
            **({"s3:TlsVersion": tls.replace("TLSv", "")} if tls else {}),
        }
        action = self.action_of(environ)
        captured = {}
        started = time.monotonic()
        replayed = self.replay(environ, start_response)
        if replayed is not None:
            self.write_trace(environ, action, replayed[0], started, replayed=True)
            return [replayed[1]]

        def capture(status, headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["line"], captured["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        chunks = list(self.app(environ, capture))
        self.remember(environ, captured, chunks)
        if captured.get("status", 200) >= 400:
            self.report(environ, action, captured["status"], b"".join(chunks)[:4000])
        self.write_trace(environ, action, captured.get("status"), started)
        return chunks

    # moto's development server now and then loses a response on a busy machine: a CreateFunction
    # answered 201 in 5 ms was retried by the SDK 0.1 s later and refused as "already exists",
    # and the provider then retried that for six minutes. An SDK retries an operation under one
    # invocation id (amz-sdk-invocation-id, with amz-sdk-request "attempt=N"); a retry of an
    # invocation that moto has already carried out with success gets that answer again, as if
    # the first had arrived, instead of running a second time.
    REMEMBERED_ANSWERS = 2000

    def replay(self, environ, start_response):
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation or environ.get("HTTP_AMZ_SDK_REQUEST", "attempt=1").startswith("attempt=1"):
            return None
        with self.lock:
            answer = self.answered.get(invocation)
        if answer is None:
            return None
        status, line, headers, body = answer
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response(line, headers)
        return status, body

    def remember(self, environ, captured, chunks):
        invocation = environ.get("HTTP_AMZ_SDK_INVOCATION_ID")
        if not invocation or environ.get("REQUEST_METHOD") in ("GET", "HEAD") or not 200 <= captured.get("status", 0) < 300:
            return
        with self.lock:
            self.answered[invocation] = (captured["status"], captured["line"], captured["headers"], b"".join(chunks))
            while len(self.answered) > self.REMEMBERED_ANSWERS:
                self.answered.popitem(last=False)

    def write_trace(self, environ, action, status, started, replayed=False):
        if not self.trace:
            return
        line = {"at": round(time.time(), 3), "peer": environ.get("REMOTE_PORT"), "action": action, "status": status,
                "ms": round((time.monotonic() - started) * 1000), "sdk": environ.get("HTTP_AMZ_SDK_REQUEST"),
                **({"replayed": True} if replayed else {})}
        with self.lock:
            self.trace.write(json.dumps(line) + "\n")
            self.trace.flush()

    @staticmethod
    def action_of(environ):
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            return target.rsplit(".", 1)[-1]
        match = re.search(r"(?:^|&)Action=([A-Za-z]+)", environ.get("QUERY_STRING", ""))
        if match:
            return match.group(1)
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            # Query-protocol services (IAM, SQS, SNS, STS, CloudWatch) name the action in the form.
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            match = re.search(rb"(?:^|&)Action=([A-Za-z]+)", body)
            if match:
                return match.group(1).decode()
        return f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"

    def report(self, environ, action, status, body):
        text = body.decode("utf-8", "replace")
        code = re.search(r"<Code>([^<]+)</Code>", text) or re.search(r'"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"', text)
        message = re.search(r"<Message>([^<]*)</Message>", text) or re.search(r'"[Mm]essage"\s*:\s*"((?:[^"\\]|\\.)*)"', text)
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        service = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", authorization)
        line = {
            "service": service.group(1) if service else None,
            "action": action,
            "status": status,
            "code": code.group(1) if code else None,
            "message": message.group(1) if message else text[:300],
            # The SDK's "attempt=N; max=M": a retried create answered "already exists" is the client's retry.
            "attempt": environ.get("HTTP_AMZ_SDK_REQUEST"),
        }
        with self.lock:
            sys.stderr.write(json.dumps(line) + "\n")
            sys.stderr.flush()
