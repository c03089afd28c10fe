/**
 * The local gateway's API Gateway WebSocket semantics, with small inline handlers (not the product's):
 * routing, the REQUEST authorizer, `$connect` refusals, requestContext, errors, limits, `$disconnect`,
 * and the Management API through the real `@aws-sdk/client-apigatewaymanagementapi` client.
 */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type GatewayLimits,
  type GatewayRoute,
  type LambdaHandler,
  LocalGateway,
} from '../../local/gateway.ts';
import { eventually, HandshakeError } from '../support/client.ts';

// ── Test handlers and a raw client ───────────────────────────────────────────────────────────────

// biome-ignore lint/suspicious/noExplicitAny: API Gateway events are checked field by field below
type AnyEvent = Record<string, any>;

interface Recorded {
  readonly routeKey: string;
  readonly event: AnyEvent;
}

/** Everything the test handlers saw, in order, plus a log of which function ran. */
class Recorder {
  readonly events: Recorded[] = [];
  readonly authorizerEvents: AnyEvent[] = [];
  readonly order: string[] = [];

  of(routeKey: string, connectionId?: string): AnyEvent[] {
    return this.events
      .filter((e) => e.routeKey === routeKey)
      .filter((e) => !connectionId || e.event.requestContext?.connectionId === connectionId)
      .map((e) => e.event);
  }

  clear(): void {
    this.events.length = 0;
    this.authorizerEvents.length = 0;
    this.order.length = 0;
  }
}

function route(
  routeKey: string,
  handler: LambdaHandler,
  returnResponse = !['$connect', '$disconnect'].includes(routeKey),
): GatewayRoute {
  return { routeKey, returnResponse, load: async () => handler };
}

/** Routes that record their events; `echo` and `$default` answer with what they received. */
function testRoutes(rec: Recorder): GatewayRoute[] {
  const record = (routeKey: string) => async (event: AnyEvent) => {
    rec.events.push({ routeKey, event });
    rec.order.push(routeKey);
  };
  const answer = (routeKey: string) => async (event: AnyEvent) => {
    await record(routeKey)(event);
    return {
      statusCode: 200,
      body: JSON.stringify({
        route: routeKey,
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
        requestContext: event.requestContext,
      }),
    };
  };
  return [
    route('$connect', async (event) => {
      await record('$connect')(event);
      const status = event.queryStringParameters?.status;
      if (status === 'throw') throw new Error('connect failed');
      return { statusCode: status ? Number(status) : 200 };
    }),
    route('$disconnect', record('$disconnect')),
    route('$default', answer('$default')),
    route('echo', answer('echo')),
    route('oneway', answer('oneway'), false),
    route('boom', async (event) => {
      await record('boom')(event);
      throw new Error('handler bug');
    }),
  ];
}

/**
 * The test authorizer: `ok-<user>` allows, `deny` returns a Deny policy, `unauth` throws
 * `Unauthorized`, `crash` throws anything else.
 */
function testAuthorizer(rec: Recorder): LambdaHandler {
  return async (event: AnyEvent) => {
    rec.authorizerEvents.push(event);
    rec.order.push('$authorizer');
    const token = String(event.queryStringParameters?.token);
    if (token === 'unauth') throw new Error('Unauthorized');
    if (token === 'crash') throw new Error('the key store is down');
    const effect = token === 'deny' ? 'Deny' : 'Allow';
    const user = token.replace(/^ok-/, '');
    return {
      principalId: user,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: event.methodArn }],
      },
      context: { userId: user, name: `Name of ${user}`, level: 3, admin: false },
    };
  };
}

interface Received {
  readonly text: string;
  readonly isBinary: boolean;
}

/** A raw `ws` client: keeps every frame with its binary flag and the close event. */
class Client {
  readonly received: Received[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      this.received.push({ text: (data as Buffer).toString('utf8'), isBinary });
      for (const wake of this.#waiters) wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers });
      socket.once('open', () => resolve(new Client(socket)));
      socket.once('unexpected-response', (_req, res) => {
        reject(new HandshakeError(res.statusCode ?? 0));
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  /** JSON frames received so far. */
  get json(): AnyEvent[] {
    return this.received.flatMap((r) => {
      try {
        return [JSON.parse(r.text) as AnyEvent];
      } catch {
        return [];
      }
    });
  }

  waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const wake = () => {
        const value = find();
        if (value === undefined) return;
        this.#waiters.delete(wake);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.received.slice(-5))}`));
      }, timeoutMs);
      this.#waiters.add(wake);
    });
  }

  /** Sends a text frame and resolves with the answer of `echo`/`$default` that carries that body. */
  request(text: string): Promise<AnyEvent> {
    const answer = this.waitFor(() => this.json.find((f) => f.body === text), `answer to ${text}`);
    this.socket.send(text);
    return answer;
  }

  /** The connection id, as the gateway reports it to the `echo` route. */
  async connectionId(): Promise<string> {
    const reply = await this.request(JSON.stringify({ action: 'echo', whoami: Math.random() }));
    return String(reply.requestContext.connectionId);
  }

  close(code = 1000): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close(code);
    return this.closed;
  }
}

const CONNECTION_ID = /^[A-Za-z0-9+/]{15}=$/;

function managementClient(gateway: LocalGateway): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint: gateway.managementEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // Fault-injection assertions need to see the first answer, not the SDK's retry.
    maxAttempts: 1,
  });
}

async function startGateway(
  rec: Recorder,
  options: { limits?: Partial<GatewayLimits>; ids?: string[]; authorizer?: boolean } = {},
): Promise<LocalGateway> {
  const ids = options.ids ? [...options.ids] : undefined;
  const gateway = new LocalGateway({
    routes: testRoutes(rec),
    ...(options.authorizer === false
      ? {}
      : { authorizer: { load: async () => testAuthorizer(rec), queryParameter: 'token' } }),
    port: 0,
    stage: 'test',
    apiId: 'abc123def4',
    ...(options.limits ? { limits: options.limits } : {}),
    ...(ids ? { newConnectionId: () => ids.shift() ?? 'exhausted' } : {}),
  });
  await gateway.start();
  return gateway;
}

// ── The main gateway ─────────────────────────────────────────────────────────────────────────────

const rec = new Recorder();
let gateway: LocalGateway;
let mgmt: ApiGatewayManagementApiClient;
const clients: Client[] = [];

async function connect(token = 'ok-alice', query = '', headers: Record<string, string> = {}) {
  const client = await Client.open(`${gateway.url}/?token=${token}${query}`, headers);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  gateway = await startGateway(rec, { limits: { maxFrameBytes: 4096 } });
  mgmt = managementClient(gateway);
});
afterAll(async () => {
  mgmt?.destroy();
  await gateway?.stop();
});
beforeEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await gateway.idle();
  gateway.clearFaults();
  rec.clear();
});

describe('route selection', () => {
  it('routes on body.action, case-sensitively, and falls back to $default', async () => {
    const client = await connect();
    const cases: [string, string][] = [
      ['{"action":"echo","n":1}', 'echo'],
      ['{"action":"ECHO","n":2}', '$default'],
      ['{"action":"Echo","n":3}', '$default'],
      ['{"action":"nope","n":4}', '$default'],
      ['{"n":5}', '$default'],
      ['{"action":42,"n":6}', '$default'],
      ['not json at all', '$default'],
      ['[{"action":"echo"}]', '$default'],
      ['"echo"', '$default'],
      ['{"action":"$connect","n":7}', '$default'],
      ['{"action":"$disconnect","n":8}', '$default'],
    ];
    for (const [body, expected] of cases) {
      const reply = await client.request(body);
      expect(reply.route, body).toBe(expected);
      expect(reply.requestContext.routeKey, body).toBe(expected);
    }
    expect(rec.of('$connect')).toHaveLength(1);
    expect(rec.of('$disconnect')).toHaveLength(0);
  });

  it('sends binary frames to $default, base64-encoded', async () => {
    const client = await connect();
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    const answer = client.waitFor(
      () => client.json.find((f) => f.isBase64Encoded === true),
      'answer to a binary frame',
    );
    client.socket.send(bytes, { binary: true });
    const reply = await answer;
    expect(reply.route).toBe('$default');
    expect(Buffer.from(String(reply.body), 'base64')).toEqual(bytes);
  });

  it('answers {"message":"Forbidden"} when nothing matches and there is no $default', async () => {
    const bare = new LocalGateway({ routes: [route('echo', async () => ({ statusCode: 200 }))], port: 0 });
    await bare.start();
    try {
      const client = await Client.open(bare.url);
      client.socket.send('{"action":"other"}');
      const frame = await client.waitFor(() => client.json[0], 'Forbidden frame');
      expect(frame).toEqual({
        message: 'Forbidden',
        connectionId: expect.stringMatching(CONNECTION_ID),
        requestId: expect.any(String),
      });
      expect(client.socket.readyState).toBe(WebSocket.OPEN);
      await client.close();
    } finally {
      await bare.stop();
    }
  });
});

describe('$connect and the REQUEST authorizer', () => {
  it('runs the authorizer first, then $connect, with API Gateway-shaped events', async () => {
    const client = await connect('ok-alice', '&tag=first', {
      'X-Test-Header': 'yes',
      'User-Agent': 'gw-test/1',
    });
    const id = await client.connectionId();
    expect(rec.order.slice(0, 2)).toEqual(['$authorizer', '$connect']);

    const auth = rec.authorizerEvents[0] as AnyEvent;
    expect(auth).toMatchObject({
      type: 'REQUEST',
      methodArn: expect.stringMatching(/^arn:aws:execute-api:[^:]+:\d{12}:abc123def4\/test\/\$connect$/),
      queryStringParameters: { token: 'ok-alice', tag: 'first' },
      headers: expect.objectContaining({ 'X-Test-Header': 'yes' }),
      requestContext: expect.objectContaining({
        routeKey: '$connect',
        eventType: 'CONNECT',
        connectionId: id,
      }),
    });

    const [event] = rec.of('$connect', id);
    const rc = event?.requestContext;
    expect(rc).toMatchObject({
      routeKey: '$connect',
      eventType: 'CONNECT',
      connectionId: id,
      stage: 'test',
      apiId: 'abc123def4',
      domainName: `127.0.0.1:${gateway.port}`,
      identity: { sourceIp: '127.0.0.1', userAgent: 'gw-test/1' },
    });
    expect(id).toMatch(CONNECTION_ID);
    expect(typeof rc.requestId).toBe('string');
    expect(rc.requestId.length).toBeGreaterThan(0);
    expect(Number.isInteger(rc.connectedAt)).toBe(true);
    expect(Number.isInteger(rc.requestTimeEpoch)).toBe(true);
    expect(rc.requestTimeEpoch).toBeGreaterThanOrEqual(rc.connectedAt);
    expect(rc.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(event?.headers).toMatchObject({ 'X-Test-Header': 'yes', 'User-Agent': 'gw-test/1' });
    expect(event?.queryStringParameters).toEqual({ token: 'ok-alice', tag: 'first' });
    expect(event?.isBase64Encoded).toBe(false);
  });

  it('gives every connection its own AWS-like id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add(await (await connect()).connectionId());
    expect(ids.size).toBe(5);
    for (const id of ids) expect(id).toMatch(CONNECTION_ID);
    expect(gateway.connectionIds.sort()).toEqual([...ids].sort());
  });

  it('refuses a missing identity source with 401 without invoking the authorizer', async () => {
    await expect(Client.open(gateway.url)).rejects.toEqual(new HandshakeError(401));
    await expect(Client.open(`${gateway.url}/?token=`)).rejects.toEqual(new HandshakeError(401));
    await expect(Client.open(`${gateway.url}/?other=1`)).rejects.toEqual(new HandshakeError(401));
    expect(rec.authorizerEvents).toHaveLength(0);
    expect(rec.of('$connect')).toHaveLength(0);
  });

  it.each([
    ['unauth', 'throws Unauthorized', 401],
    ['deny', 'returns a Deny policy', 403],
    ['crash', 'throws anything else', 500],
  ])(
    'refuses the handshake when the authorizer %s (%s) with HTTP %i, $connect never runs',
    async (token, _what, status) => {
      await expect(Client.open(`${gateway.url}/?token=${token}`)).rejects.toEqual(new HandshakeError(status));
      expect(rec.authorizerEvents).toHaveLength(1);
      expect(rec.of('$connect')).toHaveLength(0);
      expect(gateway.connectionIds).toEqual([]);
    },
  );

  it.each([
    ['403', 403],
    ['429', 429],
    ['400', 400],
    ['throw', 500],
  ])('refuses the handshake when $connect answers %s: the client sees HTTP %i', async (status, expected) => {
    await expect(Client.open(`${gateway.url}/?token=ok-bob&status=${status}`)).rejects.toEqual(
      new HandshakeError(expected),
    );
    expect(rec.of('$connect')).toHaveLength(1);
    await gateway.idle();
    expect(rec.of('$disconnect')).toHaveLength(0);
    expect(gateway.connectionIds).toEqual([]);
  });

  it('accepts any 2xx from $connect', async () => {
    const client = await connect('ok-bob', '&status=204');
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });

  it("hands the authorizer's principalId and context to every later event, $disconnect included", async () => {
    const client = await connect('ok-carol');
    const id = await client.connectionId();
    await client.request('{"action":"nope"}');
    await client.close();
    await eventually(() => rec.of('$disconnect', id).length === 1);

    const expected = { principalId: 'carol', userId: 'carol', name: 'Name of carol', level: 3, admin: false };
    const seen = rec.events.filter((e) => e.event.requestContext.connectionId === id);
    expect(seen.map((e) => e.routeKey)).toEqual(['$connect', 'echo', '$default', '$disconnect']);
    for (const { event } of seen) expect(event.requestContext.authorizer).toMatchObject(expected);
  });
});

describe('messages', () => {
  it('carries routeKey, eventType, messageId, body and the connection facts', async () => {
    const client = await connect();
    const id = await client.connectionId();
    const first = await client.request('{"action":"echo","n":1}');
    const second = await client.request('{"action":"echo","n":2}');
    const [connectEvent] = rec.of('$connect', id);
    for (const reply of [first, second]) {
      expect(reply.isBase64Encoded).toBe(false);
      expect(reply.requestContext).toMatchObject({
        routeKey: 'echo',
        eventType: 'MESSAGE',
        connectionId: id,
        connectedAt: connectEvent?.requestContext.connectedAt,
        stage: 'test',
        apiId: 'abc123def4',
        domainName: `127.0.0.1:${gateway.port}`,
        identity: { sourceIp: '127.0.0.1' },
        messageId: expect.any(String),
        requestId: expect.any(String),
        requestTimeEpoch: expect.any(Number),
      });
    }
    expect(first.body).toBe('{"action":"echo","n":1}');
    expect(first.requestContext.messageId).not.toBe(second.requestContext.messageId);
    expect(first.requestContext.requestId).not.toBe(second.requestContext.requestId);
    expect(first.requestContext.requestId).not.toBe(connectEvent?.requestContext.requestId);
  });

  it('returns the body of a two-way route to the caller, as a text frame', async () => {
    const client = await connect();
    await client.request('{"action":"echo"}');
    expect(client.received.every((r) => !r.isBinary)).toBe(true);
  });

  it('does not return the body of a one-way route', async () => {
    const client = await connect();
    client.socket.send('{"action":"oneway"}');
    await eventually(() => rec.of('oneway').length === 1);
    await gateway.idle();
    // Anything the one-way route sent would have arrived before this answer.
    await client.request('{"action":"echo","after":"oneway"}');
    expect(client.json.map((f) => f.route)).toEqual(['echo']);
  });

  it('answers a handler that throws with "Internal server error" and keeps the socket open', async () => {
    const client = await connect();
    const id = await client.connectionId();
    client.socket.send('{"action":"boom"}');
    const frame = await client.waitFor(
      () => client.json.find((f) => f.message === 'Internal server error'),
      'the Internal server error frame',
    );
    const [boom] = rec.of('boom', id);
    expect(frame).toEqual({
      message: 'Internal server error',
      connectionId: id,
      requestId: boom?.requestContext.requestId,
    });
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    expect((await client.request('{"action":"echo","still":"open"}')).route).toBe('echo');
  });
});

describe('limits', () => {
  it('accepts a frame of exactly maxFrameBytes and closes the socket with 1009 above it', async () => {
    const client = await connect();
    const id = await client.connectionId();
    const exact = JSON.stringify({ action: 'echo', pad: '' });
    const fits = JSON.stringify({ action: 'echo', pad: 'x'.repeat(4096 - exact.length) });
    expect(Buffer.byteLength(fits)).toBe(4096);
    expect((await client.request(fits)).route).toBe('echo');

    client.socket.send(`${fits} `);
    expect((await client.closed).code).toBe(1009);
    await eventually(() => rec.of('$disconnect', id).length === 1);
    expect(rec.of('$disconnect', id)[0]?.requestContext.disconnectStatusCode).toBe(1009);
  });

  it('closes idle sockets after idleTimeoutMs and runs $disconnect', async () => {
    const idleRec = new Recorder();
    const idle = await startGateway(idleRec, { limits: { idleTimeoutMs: 40 } });
    try {
      const client = await Client.open(`${idle.url}/?token=ok-idle`);
      expect((await client.closed).code).toBe(1001);
      await eventually(() => idleRec.of('$disconnect').length === 1);
      expect(idleRec.of('$disconnect')[0]?.requestContext).toMatchObject({
        eventType: 'DISCONNECT',
        authorizer: { principalId: 'idle' },
      });
    } finally {
      await idle.stop();
    }
  });

  it('closes every socket at maxConnectionMs, however active, and runs $disconnect', async () => {
    const hardRec = new Recorder();
    const hard = await startGateway(hardRec, { limits: { maxConnectionMs: 60 } });
    try {
      const client = await Client.open(`${hard.url}/?token=ok-busy`);
      const sending = setInterval(() => {
        if (client.socket.readyState === WebSocket.OPEN) client.socket.send('{"action":"oneway"}');
      }, 5);
      const closed = await client.closed;
      clearInterval(sending);
      expect(closed.code).toBe(1001);
      await eventually(() => hardRec.of('$disconnect').length === 1);
    } finally {
      await hard.stop();
    }
  });
});

describe('$disconnect', () => {
  it('runs when the client closes, with eventType DISCONNECT and the close code', async () => {
    const client = await connect('ok-dave');
    const id = await client.connectionId();
    await client.close(4000);
    await eventually(() => rec.of('$disconnect', id).length === 1);
    const rc = rec.of('$disconnect', id)[0]?.requestContext;
    expect(rc).toMatchObject({
      routeKey: '$disconnect',
      eventType: 'DISCONNECT',
      connectionId: id,
      disconnectStatusCode: 4000,
      authorizer: { principalId: 'dave' },
    });
    expect(gateway.connectionIds).not.toContain(id);
  });

  it('runs for every socket when the gateway stops', async () => {
    const stopRec = new Recorder();
    const other = await startGateway(stopRec);
    const a = await Client.open(`${other.url}/?token=ok-a`);
    const b = await Client.open(`${other.url}/?token=ok-b`);
    await other.stop();
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
    expect(
      stopRec
        .of('$disconnect')
        .map((e) => e.requestContext.authorizer.principalId)
        .sort(),
    ).toEqual(['a', 'b']);
  });
});

// ── The Management API through the real SDK client ───────────────────────────────────────────────

describe('Management API', () => {
  it('PostToConnection delivers the data as one text frame', async () => {
    const client = await connect();
    const id = await client.connectionId();
    const data = JSON.stringify({ type: 'hello', text: 'héllo wörld ✓' });
    await mgmt.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }));
    const frame = await client.waitFor(() => client.received.find((r) => r.text === data), 'the post');
    expect(frame.isBinary).toBe(false);

    const bytes = new TextEncoder().encode('{"type":"bytes"}');
    await mgmt.send(new PostToConnectionCommand({ ConnectionId: id, Data: bytes }));
    await client.waitFor(() => client.received.find((r) => r.text === '{"type":"bytes"}'), 'the byte post');
  });

  it('GetConnection returns connectedAt, identity and lastActiveAt', async () => {
    const client = await connect('ok-erin', '', { 'User-Agent': 'mgmt-test/2' });
    const id = await client.connectionId();
    const [connectEvent] = rec.of('$connect', id);
    const out = await mgmt.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(out.ConnectedAt).toBeInstanceOf(Date);
    expect(out.ConnectedAt?.getTime()).toBe(connectEvent?.requestContext.connectedAt);
    expect(out.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'mgmt-test/2' });
    expect(out.LastActiveAt).toBeInstanceOf(Date);
    expect(out.LastActiveAt?.getTime()).toBeGreaterThanOrEqual(out.ConnectedAt?.getTime() ?? Infinity);

    // Activity moves lastActiveAt forward (never back).
    await client.request('{"action":"echo","touch":1}');
    const later = await mgmt.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(later.LastActiveAt?.getTime()).toBeGreaterThanOrEqual(out.LastActiveAt?.getTime() ?? Infinity);
    expect(later.ConnectedAt?.getTime()).toBe(out.ConnectedAt?.getTime());
  });

  it('DeleteConnection closes the socket and $disconnect runs', async () => {
    const client = await connect('ok-frank');
    const id = await client.connectionId();
    await mgmt.send(new DeleteConnectionCommand({ ConnectionId: id }));
    expect((await client.closed).code).toBe(1000);
    await eventually(() => rec.of('$disconnect', id).length === 1);
    expect(rec.of('$disconnect', id)[0]?.requestContext.authorizer).toMatchObject({ principalId: 'frank' });
    await expect(mgmt.send(new GetConnectionCommand({ ConnectionId: id }))).rejects.toBeInstanceOf(
      GoneException,
    );
  });

  it('answers unknown and closed connections with GoneException', async () => {
    const unknown = 'AAAAAAAAAAAAAAA=';
    for (const command of [
      new PostToConnectionCommand({ ConnectionId: unknown, Data: '{}' }),
      new GetConnectionCommand({ ConnectionId: unknown }),
      new DeleteConnectionCommand({ ConnectionId: unknown }),
    ]) {
      // biome-ignore lint/suspicious/noExplicitAny: three command types through one client
      const error = await mgmt.send(command as any).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GoneException);
      expect((error as Error).name).toBe('GoneException');
      expect((error as GoneException).$metadata.httpStatusCode).toBe(410);
    }

    const client = await connect();
    const id = await client.connectionId();
    await client.close();
    await eventually(() => rec.of('$disconnect', id).length === 1);
    const error = await mgmt
      .send(new PostToConnectionCommand({ ConnectionId: id, Data: '{}' }))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('GoneException');
  });

  it('answers 410 with the x-amzn-errortype header on the wire', async () => {
    const res = await fetch(`${gateway.managementEndpoint}/@connections/${encodeURIComponent('nope=')}`, {
      method: 'POST',
      body: '{}',
    });
    expect(res.status).toBe(410);
    expect(res.headers.get('x-amzn-errortype')).toBe('GoneException');
    await res.arrayBuffer();
  });

  it('delivers a post of exactly 128 KB and refuses a larger one with PayloadTooLargeException (413)', async () => {
    const client = await connect();
    const id = await client.connectionId();
    const max = 'y'.repeat(128 * 1024);
    await mgmt.send(new PostToConnectionCommand({ ConnectionId: id, Data: max }));
    await client.waitFor(() => client.received.find((r) => r.text === max), 'the 128 KB post');

    const error = await mgmt
      .send(new PostToConnectionCommand({ ConnectionId: id, Data: `${max}y` }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeException);
    expect((error as PayloadTooLargeException).$metadata.httpStatusCode).toBe(413);
    expect(client.received.some((r) => r.text.length > max.length)).toBe(false);
  });

  it('URL-encodes connection ids with +, / and = and still finds them', async () => {
    const idsRec = new Recorder();
    const ids = ['ab+cd/ef+gh/ij==', 'Zz/+Zz/+Zz/+Zz=', '+/+/+/+/+/+/+/+='];
    const odd = await startGateway(idsRec, { ids });
    const oddMgmt = managementClient(odd);
    try {
      for (const expected of ids) {
        const client = await Client.open(`${odd.url}/?token=ok-odd`);
        expect(await client.connectionId()).toBe(expected);
        await oddMgmt.send(
          new PostToConnectionCommand({ ConnectionId: expected, Data: `{"to":"${expected}"}` }),
        );
        await client.waitFor(() => client.json.find((f) => f.to === expected), `the post to ${expected}`);
        const out = await oddMgmt.send(new GetConnectionCommand({ ConnectionId: expected }));
        expect(out.Identity?.SourceIp).toBe('127.0.0.1');
        await oddMgmt.send(new DeleteConnectionCommand({ ConnectionId: expected }));
        expect((await client.closed).code).toBe(1000);
        await eventually(() => idsRec.of('$disconnect', expected).length === 1);
      }
    } finally {
      oddMgmt.destroy();
      await odd.stop();
    }
  });

  it('injectFault makes the next posts fail with the configured status, then delivery resumes', async () => {
    const client = await connect();
    const id = await client.connectionId();
    const post = (data: string) =>
      mgmt.send(new PostToConnectionCommand({ ConnectionId: id, Data: data })).catch((e: unknown) => e);

    gateway.injectFault({ status: 410 });
    const gone = await post('{"n":"gone"}');
    expect(gone).toBeInstanceOf(GoneException);

    gateway.injectFault({ status: 429, count: 2 });
    for (const n of [1, 2]) {
      const limited = (await post(`{"n":"limited-${n}"}`)) as Error & {
        $metadata: { httpStatusCode: number };
      };
      expect(limited.name).toBe('LimitExceededException');
      expect(limited.$metadata.httpStatusCode).toBe(429);
    }

    gateway.injectFault({ status: 500 });
    const failed = (await post('{"n":"failed"}')) as Error & { $metadata: { httpStatusCode: number } };
    expect(failed).toBeInstanceOf(Error);
    expect(failed.$metadata.httpStatusCode).toBe(500);

    expect(await post('{"n":"delivered"}')).not.toBeInstanceOf(Error);
    await client.waitFor(() => client.json.find((f) => f.n === 'delivered'), 'the post after the faults');
    expect(client.json.filter((f) => typeof f.n === 'string').map((f) => f.n)).toEqual(['delivered']);
  });

  it('injectFault limited to one connection leaves the others alone', async () => {
    const a = await connect();
    const b = await connect();
    const idA = await a.connectionId();
    const idB = await b.connectionId();
    gateway.injectFault({ status: 410, connectionId: idA });
    await mgmt.send(new PostToConnectionCommand({ ConnectionId: idB, Data: '{"to":"b"}' }));
    await b.waitFor(() => b.json.find((f) => f.to === 'b'), 'the post to b');
    const error = await mgmt
      .send(new PostToConnectionCommand({ ConnectionId: idA, Data: '{"to":"a"}' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoneException);
    await mgmt.send(new PostToConnectionCommand({ ConnectionId: idA, Data: '{"to":"a"}' }));
    await a.waitFor(() => a.json.find((f) => f.to === 'a'), 'the post to a');
  });

  it('vanish() drops the socket without $disconnect; posts then find it gone', async () => {
    const client = await connect('ok-ghost');
    const id = await client.connectionId();
    gateway.vanish(id);
    expect((await client.closed).code).toBe(1006);
    await gateway.idle();
    expect(rec.of('$disconnect', id)).toEqual([]);
    expect(gateway.connectionIds).not.toContain(id);
    const error = await mgmt
      .send(new PostToConnectionCommand({ ConnectionId: id, Data: '{}' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoneException);
  });
});
