/**
 * A wire-level fake of the IAM Query API: form-encoded `Action=…&Version=2010-05-08` POSTs,
 * XML answers in IAM's shapes (`<XResponse><XResult>…</XResult><ResponseMetadata>…`,
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`).
 *
 * Every request is authenticated as IAM does it: the SigV4 `Authorization` header names the
 * access key, which must exist, be active and have propagated (new keys are refused for their
 * first `propagationUses` requests — IAM's eventual consistency), and the signature is
 * recomputed with that key's secret. So a probe signed with a deleted, inactive or wrong key
 * gets `InvalidClientTokenId` / `SignatureDoesNotMatch` (403), like the real service.
 *
 * Actions: ListAccessKeys, CreateAccessKey (two keys per user: `LimitExceeded`),
 * UpdateAccessKey, DeleteAccessKey, GetUser, GetAccessKeyLastUsed. The `admin` credentials may
 * do anything; a user's own key may only GetUser on itself (and `userCanGetSelf: false`
 * takes even that away: `AccessDenied`).
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { parseSigV4, startWireServer, type WireResponse, type WireServer } from './http.js';

export interface FakeAccessKey {
  readonly id: string;
  readonly secret: string;
  readonly user: string;
  status: 'Active' | 'Inactive';
  readonly createdAt: Date;
  /** Requests it will still be refused for, as if IAM had not propagated it yet. */
  pendingUses: number;
  lastUsed?: Date;
}

export interface IamFault {
  action: string;
  times: number;
  /** Default 500 (`ServiceFailure`, type Receiver). */
  status?: number;
  code?: string;
  message?: string;
  /** Carry the action out, then answer the error anyway (a response lost on the way back). */
  applied?: boolean;
  /** Only requests whose parameters match. */
  when?: (params: URLSearchParams) => boolean;
}

export interface IamRequest {
  action: string;
  params: Record<string, string>;
  /** The access key id that signed the request (even when it was refused). */
  signer?: string;
  status: number;
  code?: string;
}

const XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const ADMIN_USER = 'rotation-admin';

export class IamFake {
  readonly requests: IamRequest[] = [];
  /** Every key ever made, deleted ones included (to check no secret leaked anywhere). */
  readonly issued: FakeAccessKey[] = [];
  readonly admin: { accessKeyId: string; secretAccessKey: string };
  /** New keys are refused for this many requests (default 0). */
  propagationUses = 0;
  /** Whether a user's own key may call GetUser on itself. */
  userCanGetSelf = true;
  /** Called for every request, before it is handled. */
  onRequest: ((action: string, params: URLSearchParams) => void) | undefined;

  private readonly users = new Map<string, { userId: string; createdAt: Date }>();
  private readonly keys = new Map<string, FakeAccessKey>();
  private readonly faults: { fault: IamFault; remaining: number }[] = [];

  private constructor(
    private readonly server: WireServer,
    readonly accountId: string,
  ) {
    this.createUser(ADMIN_USER);
    const admin = this.addKey(ADMIN_USER, {});
    this.admin = { accessKeyId: admin.id, secretAccessKey: admin.secret };
  }

  get url(): string {
    return this.server.url;
  }

  static async start(accountId = '123456789012'): Promise<IamFake> {
    let fake: IamFake | undefined;
    const server = await startWireServer((request) => fake!.handle(request.method, request.path, request.headers, request.body));
    fake = new IamFake(server, accountId);
    return fake;
  }

  createUser(name: string): void {
    this.users.set(name, { userId: `AIDA${randomId(17)}`, createdAt: new Date('2021-11-01T00:00:00Z') });
  }

  /** A key as if created earlier (already propagated). */
  addKey(user: string, options: { status?: 'Active' | 'Inactive'; createdAt?: Date }): FakeAccessKey {
    const key: FakeAccessKey = {
      id: `AKIA${randomId(16)}`,
      secret: randomBytes(30).toString('base64').slice(0, 40),
      user,
      status: options.status ?? 'Active',
      createdAt: options.createdAt ?? new Date('2025-01-01T00:00:00Z'),
      pendingUses: 0,
    };
    this.keys.set(key.id, key);
    this.issued.push(key);
    return key;
  }

  keysOf(user: string): FakeAccessKey[] {
    return [...this.keys.values()].filter((k) => k.user === user);
  }

  key(id: string): FakeAccessKey | undefined {
    return this.keys.get(id);
  }

  injectFault(fault: IamFault): void {
    this.faults.push({ fault, remaining: fault.times });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private handle(method: string, path: string, headers: Record<string, string | string[] | undefined>, body: string): WireResponse {
    const params = new URLSearchParams(method === 'POST' ? body : (path.split('?')[1] ?? ''));
    const action = params.get('Action') ?? '';
    const auth = parseSigV4(headers.authorization as string | undefined);
    const record = (response: WireResponse, code?: string): WireResponse => {
      this.requests.push({ action, params: Object.fromEntries(params), ...(auth ? { signer: auth.accessKeyId } : {}), status: response.status, ...(code ? { code } : {}) });
      return response;
    };
    const fail = (status: number, code: string, message: string) => record(errorXml(status, code, message), code);

    this.onRequest?.(action, params);
    if (!auth) return fail(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const signer = this.keys.get(auth.accessKeyId);
    if (!signer || signer.status !== 'Active') return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (signer.pendingUses > 0) {
      signer.pendingUses--;
      return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    }
    if (auth.service !== 'iam') return fail(403, 'SignatureDoesNotMatch', `Credential should be scoped to correct service: 'iam'.`);
    if (signature(method, path, headers, body, auth, signer.secret) !== auth.signature) {
      return fail(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    }
    signer.lastUsed = new Date();
    if (params.get('Version') !== '2010-05-08') return fail(400, 'InvalidParameterValue', `Unsupported version ${params.get('Version')}`);

    const isAdmin = signer.user === ADMIN_USER;
    if (!isAdmin) {
      const target = params.get('UserName') ?? signer.user;
      const selfGetUser = action === 'GetUser' && target === signer.user && this.userCanGetSelf;
      if (!selfGetUser) {
        return fail(
          403,
          'AccessDenied',
          `User: arn:aws:iam::${this.accountId}:user/${signer.user} is not authorized to perform: iam:${action} on resource: user ${target} because no identity-based policy allows the iam:${action} action`,
        );
      }
    }

    const fault = this.takeFault(action, params);
    if (fault && !fault.applied) return fail(fault.status ?? 500, fault.code ?? 'ServiceFailure', fault.message ?? 'Request processing has failed due to an unknown error, exception or failure.');
    const response = this.route(action, params, signer);
    if (fault) return fail(fault.status ?? 500, fault.code ?? 'ServiceFailure', fault.message ?? 'Request processing has failed due to an unknown error, exception or failure.');
    return record(response, response.status >= 400 ? /<Code>([^<]+)<\/Code>/.exec(response.body ?? '')?.[1] : undefined);
  }

  private takeFault(action: string, params: URLSearchParams): IamFault | undefined {
    const index = this.faults.findIndex(({ fault }) => fault.action === action && (!fault.when || fault.when(params)));
    if (index === -1) return undefined;
    const entry = this.faults[index]!;
    if (--entry.remaining <= 0) this.faults.splice(index, 1);
    return entry.fault;
  }

  private route(action: string, params: URLSearchParams, signer: FakeAccessKey): WireResponse {
    const userName = params.get('UserName') ?? signer.user;
    const user = this.users.get(userName);
    const noUser = () => errorXml(404, 'NoSuchEntity', `The user with name ${userName} cannot be found.`);
    const findKey = () => {
      const id = params.get('AccessKeyId') ?? '';
      const key = this.keys.get(id);
      return key && key.user === userName ? key : undefined;
    };
    const noKey = () => errorXml(404, 'NoSuchEntity', `The Access Key with id ${params.get('AccessKeyId') ?? ''} cannot be found.`);

    switch (action) {
      case 'ListAccessKeys': {
        if (!user) return noUser();
        const members = this.keysOf(userName)
          .map((k) => `<member><UserName>${xml(k.user)}</UserName><AccessKeyId>${k.id}</AccessKeyId><Status>${k.status}</Status><CreateDate>${isoSeconds(k.createdAt)}</CreateDate></member>`)
          .join('');
        return okXml(action, `<UserName>${xml(userName)}</UserName><AccessKeyMetadata>${members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>`);
      }
      case 'CreateAccessKey': {
        if (!user) return noUser();
        if (this.keysOf(userName).length >= 2) return errorXml(409, 'LimitExceeded', 'Cannot exceed quota for AccessKeysPerUser: 2');
        const key = this.addKey(userName, { createdAt: new Date() });
        key.pendingUses = this.propagationUses;
        return okXml(
          action,
          `<AccessKey><UserName>${xml(userName)}</UserName><AccessKeyId>${key.id}</AccessKeyId><Status>Active</Status><SecretAccessKey>${xml(key.secret)}</SecretAccessKey><CreateDate>${isoSeconds(key.createdAt)}</CreateDate></AccessKey>`,
        );
      }
      case 'UpdateAccessKey': {
        if (!user) return noUser();
        const status = params.get('Status');
        if (status !== 'Active' && status !== 'Inactive') return errorXml(400, 'ValidationError', `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`);
        const key = findKey();
        if (!key) return noKey();
        key.status = status;
        return okXml(action, null);
      }
      case 'DeleteAccessKey': {
        if (!user) return noUser();
        const key = findKey();
        if (!key) return noKey();
        this.keys.delete(key.id);
        return okXml(action, null);
      }
      case 'GetUser': {
        if (!user) return noUser();
        return okXml(
          action,
          `<User><Path>/</Path><UserName>${xml(userName)}</UserName><UserId>${user.userId}</UserId><Arn>arn:aws:iam::${this.accountId}:user/${xml(userName)}</Arn><CreateDate>${isoSeconds(user.createdAt)}</CreateDate></User>`,
        );
      }
      case 'GetAccessKeyLastUsed': {
        const key = this.keys.get(params.get('AccessKeyId') ?? '');
        if (!key) return errorXml(403, 'AccessDenied', 'User is not authorized to perform iam:GetAccessKeyLastUsed on this key');
        const used = key.lastUsed
          ? `<LastUsedDate>${isoSeconds(key.lastUsed)}</LastUsedDate><ServiceName>iam</ServiceName><Region>us-east-1</Region>`
          : '<ServiceName>N/A</ServiceName><Region>N/A</Region>';
        return okXml(action, `<UserName>${xml(key.user)}</UserName><AccessKeyLastUsed>${used}</AccessKeyLastUsed>`);
      }
      default:
        return errorXml(400, 'InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
    }
  }
}

function okXml(action: string, result: string | null): WireResponse {
  const inner = result === null ? '' : `<${action}Result>${result}</${action}Result>`;
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() },
    body: `<${action}Response xmlns="${XMLNS}">${inner}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>\n`,
  };
}

function errorXml(status: number, code: string, message: string): WireResponse {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() },
    body: `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>\n`,
  };
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function randomId(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return Array.from(randomBytes(length), (b) => alphabet[b % alphabet.length]).join('');
}

const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** SigV4, recomputed from what arrived: canonical request → string to sign → HMAC chain. */
function signature(
  method: string,
  rawPath: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  auth: { date: string; region: string; service: string; signedHeaders: string[] },
  secret: string,
): string {
  const [pathPart, query = ''] = rawPath.split('?') as [string, string?];
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('=').map((p) => encodeRfc3986(decodeURIComponent(p.replace(/\+/g, ' ')))) as [string, string?])
    .sort(([a, av = ''], [b, bv = '']) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v = '']) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = auth.signedHeaders.map((name) => `${name}:${String(headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const payloadHash = (headers['x-amz-content-sha256'] as string | undefined) ?? sha256(body);
  const canonicalRequest = [method, pathPart || '/', canonicalQuery, canonicalHeaders, auth.signedHeaders.join(';'), payloadHash].join('\n');
  const amzDate = String(headers['x-amz-date'] ?? '');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, auth.date), auth.region), auth.service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
