/** The local gateway's public shapes: routes, limits, options and what it reports. */

import type { IncomingMessage, ServerResponse } from 'node:http';

/** A Lambda handler as the gateway invokes it. */
// biome-ignore lint/suspicious/noExplicitAny: handlers take and return API Gateway shapes of many kinds
export type LambdaHandler = (event: any, context: any) => Promise<any>;

export interface GatewayRoute {
  readonly routeKey: string;
  /** Whether the handler's response body goes back to the caller. */
  readonly returnResponse: boolean;
  /**
   * The function's timeout: what its context's `getRemainingTimeInMillis` counts down from (the
   * handler is not stopped when it runs out). @default 29 (API Gateway's integration timeout)
   */
  readonly timeoutSeconds?: number;
  readonly load: () => Promise<LambdaHandler>;
}

export interface GatewayLimits {
  /**
   * Largest single client frame; a larger one closes the socket with 1009, even inside a message of
   * at most `maxMessageBytes`. Server messages (route responses and posts) larger than this go out in
   * frames of this size, as API Gateway sends them. @default 32 KB
   */
  readonly maxFrameBytes: number;
  /**
   * Largest client message: one frame, or the frames of a fragmented message together; a larger one
   * closes the socket with 1009. @default 128 KB
   */
  readonly maxMessageBytes: number;
  /** Largest route response delivered; larger ones are logged and not sent. @default 128 KB */
  readonly maxResponseBytes: number;
  /** Idle timeout. @default 10 minutes */
  readonly idleTimeoutMs: number;
  /** Hard connection limit. @default 2 hours */
  readonly maxConnectionMs: number;
  /** Largest Management API post; larger ones get 413 PayloadTooLargeException. @default 128 KB */
  readonly maxPostBytes: number;
}

/**
 * API Gateway's WebSocket quotas: 128 KB messages both ways, client frames of at most 32 KB (a larger
 * message comes in several frames), 10 min idle, 2 h per connection.
 */
export const AWS_LIMITS: GatewayLimits = {
  maxFrameBytes: 32 * 1024,
  maxMessageBytes: 128 * 1024,
  maxResponseBytes: 128 * 1024,
  idleTimeoutMs: 10 * 60 * 1000,
  maxConnectionMs: 2 * 60 * 60 * 1000,
  maxPostBytes: 128 * 1024,
};

export interface InvokeInfo {
  readonly routeKey: string;
  readonly connectionId: string;
  readonly ms: number;
  readonly error?: unknown;
}

/** A line of the stage's execution log (what API Gateway writes to CloudWatch Logs). */
export interface ExecutionLogEntry {
  readonly level: 'ERROR';
  readonly routeKey: string;
  readonly connectionId: string;
  readonly requestId: string;
  readonly message: string;
}

export interface GatewayOptions {
  readonly routes: readonly GatewayRoute[];
  /** The REQUEST authorizer of `$connect` and the query parameter that is its identity source. */
  readonly authorizer?: { readonly load: () => Promise<LambdaHandler>; readonly queryParameter: string };
  /** @default {@link DEFAULT_PORT}; 0 picks a free port */
  readonly port?: number;
  /** @default {@link LOOPBACK_HOST} */
  readonly host?: string;
  /** @default 'local' */
  readonly stage?: string;
  /** @default 'localapi01' */
  readonly apiId?: string;
  readonly limits?: Partial<GatewayLimits>;
  /** Makes connection ids (tests pin ids with `+`, `/` and `=`). @default {@link newConnectionId} */
  readonly newConnectionId?: () => string;
  /** Called after every handler invocation (observability in tests and `npm run dev`). */
  readonly onInvoke?: (info: InvokeInfo) => void;
  /** Receives the execution log. @default one line on stderr per entry */
  readonly onExecutionLog?: (entry: ExecutionLogEntry) => void;
  /**
   * Extra local HTTP routes on the gateway's origin, tried in order before the Management API (e.g.
   * the web page of `npm run dev`). Not part of API Gateway: the local stack registers them.
   */
  readonly httpRoutes?: readonly LocalHttpRoute[];
  /**
   * Refuses upgrades from browser pages of other sites with HTTP 403: an `Origin` header, when
   * present, must be the gateway's own origin or a localhost, 127.0.0.1 or [::1] one (any port).
   * Not an API Gateway feature: the local stack sets it while tokens are checked with the public
   * development secret (any web page could sign one). @default false
   */
  readonly localOriginsOnly?: boolean;
}

/** Serves an HTTP request and resolves true, or resolves false to leave it to the next route. */
export type LocalHttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

/** A fault the Management API answers instead of delivering (fault-injection tests). */
export interface InjectedFault {
  readonly status: 410 | 429 | 500 | 503;
  /** How many posts fail this way. @default 1 */
  readonly count?: number;
  /** Only posts to this connection. @default any connection */
  readonly connectionId?: string;
}

/** What the gateway knows of a connection: the facts every event's requestContext carries. */
export interface ConnectionFacts {
  readonly id: string;
  readonly connectedAt: number;
  readonly sourceIp: string;
  readonly userAgent: string | undefined;
  /** The authorizer's principalId and context, handed to every later event. */
  readonly authorizer: Record<string, unknown> | undefined;
}

/** The stage facts every event carries. */
export interface StageFacts {
  readonly stage: string;
  readonly apiId: string;
  /** host:port the clients connect to. */
  readonly domainName: string;
}
