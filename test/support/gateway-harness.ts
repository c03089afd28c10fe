/**
 * The local gateway with small inline handlers (not the product's), for the gateway suites: handlers
 * that record every event, a test authorizer, a raw client that keeps the binary flag of each frame,
 * and `useGateway()`, which starts one gateway per test file.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import WebSocket from 'ws';
import {
  type ExecutionLogEntry,
  type GatewayLimits,
  type GatewayRoute,
  type LambdaHandler,
  LocalGateway,
} from '../../local/gateway.ts';
import { FrameWaiter, openSocket } from './frame-waiter.ts';

// biome-ignore lint/suspicious/noExplicitAny: API Gateway events are checked field by field in the suites
export type AnyEvent = Record<string, any>;

/** API Gateway's connection ids: 16 base64 characters. */
export const CONNECTION_ID = /^[A-Za-z0-9+/]{15}=$/;

/** Everything the test handlers saw, in order, plus a log of which function ran. */
export class Recorder {
  readonly events: { readonly routeKey: string; readonly event: AnyEvent }[] = [];
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

export function route(
  routeKey: string,
  handler: LambdaHandler,
  returnResponse = !['$connect', '$disconnect'].includes(routeKey),
): GatewayRoute {
  return { routeKey, returnResponse, load: async () => handler };
}

/**
 * Routes that record their events: `echo` and `$default` answer with what they received, `oneway`
 * answers nothing, `boom` throws, `big` answers `text` (default `b`) repeated `count` times; `$connect` answers the
 * status given in the `status` query parameter (`throw` throws).
 */
function testRoutes(rec: Recorder): GatewayRoute[] {
  const record = (routeKey: string) => async (event: AnyEvent) => {
    rec.events.push({ routeKey, event });
    rec.order.push(routeKey);
  };
  const answer = (routeKey: string) => async (event: AnyEvent) => {
    await record(routeKey)(event);
    const { body, isBase64Encoded, requestContext } = event;
    return {
      statusCode: 200,
      body: JSON.stringify({ route: routeKey, body, isBase64Encoded, requestContext }),
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
    route('big', async (event) => {
      await record('big')(event);
      const { text = 'b', count } = JSON.parse(event.body) as { text?: string; count: number };
      return { statusCode: 200, body: text.repeat(count) };
    }),
  ];
}

/** Contexts API Gateway refuses (AuthorizerConfigurationException), by token. */
const BAD_CONTEXTS: Record<string, unknown> = {
  'bad-object': { userId: 'x', profile: { role: 'admin' } },
  'bad-array': { userId: 'x', roles: ['admin'] },
  'bad-null': { userId: 'x', name: null },
};

/**
 * The test authorizer: `ok-<user>` allows (context with a number and a boolean: `admin` is true for
 * `ok-root` only), `deny` returns a Deny policy, `unauth` throws `Unauthorized`, `crash` throws
 * anything else, and each {@link BAD_CONTEXTS} token allows with a context API Gateway refuses.
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
      context: BAD_CONTEXTS[token] ?? {
        userId: user,
        name: `Name of ${user}`,
        level: 3,
        admin: user === 'root',
        exp: 1796364287,
        absent: undefined,
      },
    };
  };
}

export interface Received {
  readonly text: string;
  readonly isBinary: boolean;
}

function json(r: Received): AnyEvent | undefined {
  try {
    return JSON.parse(r.text) as AnyEvent;
  } catch {
    return undefined;
  }
}

/** A raw `ws` client: keeps every frame with its binary flag, and the close event. */
export class RawClient {
  readonly #arrivals = new FrameWaiter<Received>();
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      this.#arrivals.deliver({ text: (data as Buffer).toString('utf8'), isBinary });
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<RawClient> {
    return new RawClient(await openSocket(url, { headers }));
  }

  get received(): Received[] {
    return this.#arrivals.received;
  }

  /** JSON frames received so far. */
  get json(): AnyEvent[] {
    return this.received.flatMap((r) => json(r) ?? []);
  }

  /** The first frame (earlier or future) whose text is `text`. */
  waitForText(text: string, what: string, timeoutMs = 5000): Promise<Received> {
    return this.#arrivals.next((r) => r.text === text, { timeoutMs, what });
  }

  /** The first JSON frame (earlier or future) that matches. */
  async waitForJson(match: (frame: AnyEvent) => boolean, what: string, timeoutMs = 5000): Promise<AnyEvent> {
    const found = await this.#arrivals.next(
      (r) => {
        const frame = json(r);
        return frame !== undefined && match(frame);
      },
      { timeoutMs, what },
    );
    return json(found) as AnyEvent;
  }

  /** Sends a text frame and resolves with the answer of `echo`/`$default` that carries that body. */
  request(text: string): Promise<AnyEvent> {
    const answer = this.waitForJson((f) => f.body === text, `answer to ${text}`);
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

export function managementClient(gateway: LocalGateway): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint: gateway.managementEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // Fault-injection assertions need to see the first answer, not the SDK's retry.
    maxAttempts: 1,
  });
}

export interface TestGatewayOptions {
  readonly limits?: Partial<GatewayLimits>;
  /** Connection ids to hand out, in order. */
  readonly ids?: string[];
  /** @default true */
  readonly authorizer?: boolean;
  readonly log?: ExecutionLogEntry[];
}

/** A gateway on a free port with the test routes and authorizer (stage `test`, api `abc123def4`). */
export async function startGateway(rec: Recorder, options: TestGatewayOptions = {}): Promise<LocalGateway> {
  const ids = options.ids ? [...options.ids] : undefined;
  const log = options.log;
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
    ...(log ? { onExecutionLog: (entry: ExecutionLogEntry) => log.push(entry) } : {}),
  });
  await gateway.start();
  return gateway;
}

export interface GatewayFixture {
  readonly rec: Recorder;
  readonly gateway: LocalGateway;
  readonly mgmt: ApiGatewayManagementApiClient;
  /** The gateway's execution log since the current test began. */
  readonly log: ExecutionLogEntry[];
  /** Opens a socket with `?token=<token><query>`; it is closed before the next test. */
  connect(token?: string, query?: string, headers?: Record<string, string>): Promise<RawClient>;
}

/**
 * One gateway for the test file: started before the tests, stopped after them; before each test
 * the previous test's sockets are closed and the records, faults and log are cleared.
 */
export function useGateway(options: Omit<TestGatewayOptions, 'log'> = {}): GatewayFixture {
  const rec = new Recorder();
  const log: ExecutionLogEntry[] = [];
  const clients: RawClient[] = [];
  let gateway: LocalGateway | undefined;
  let mgmt: ApiGatewayManagementApiClient | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the gateway is not started yet (use it inside a test)');
    return value;
  };
  beforeAll(async () => {
    gateway = await startGateway(rec, { ...options, log });
    mgmt = managementClient(gateway);
  });
  afterAll(async () => {
    mgmt?.destroy();
    await gateway?.stop();
  });
  beforeEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await gateway?.idle();
    gateway?.clearFaults();
    gateway?.setPostLatency(0);
    rec.clear();
    log.length = 0;
  });
  return {
    rec,
    log,
    get gateway() {
      return started(gateway);
    },
    get mgmt() {
      return started(mgmt);
    },
    async connect(token = 'ok-alice', query = '', headers = {}) {
      const client = await RawClient.open(`${started(gateway).url}/?token=${token}${query}`, headers);
      clients.push(client);
      return client;
    },
  };
}
