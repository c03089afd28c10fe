/**
 * Pure builders of the events API Gateway hands to Lambda (REQUEST authorizer, `$connect`,
 * messages, `$disconnect`) and of the gateway's own error frames.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ConnectionFacts, StageFacts } from './types.ts';

/** An AWS-like connection id: 16 base64 characters, e.g. `L0SM9cOFvHcCIhw=`. */
export function newConnectionId(): string {
  return randomBytes(11).toString('base64');
}

/** The ids API Gateway gives each request and message. */
export function newRequestId(): string {
  return randomBytes(12).toString('base64url');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestTime` format: 22/Nov/2026:04:15:22 +0000 */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;
}

/** Values by name, both as the last value (`single`) and every value (`multi`), as API Gateway gives them. */
export interface SingleAndMulti {
  readonly single: Record<string, string>;
  readonly multi: Record<string, string[]>;
}

export function singleAndMulti(entries: Iterable<[string, string]>): SingleAndMulti {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [k, v] of entries) {
    single[k] = v;
    const list = multi[k] ?? [];
    list.push(v);
    multi[k] = list;
  }
  return { single, multi };
}

/** The upgrade request's headers (as sent, original case) and query string. */
export interface UpgradeRequest {
  readonly headers: SingleAndMulti;
  readonly query: SingleAndMulti;
}

export function upgradeRequest(req: IncomingMessage): UpgradeRequest {
  const headers: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  return { headers: singleAndMulti(headers), query: singleAndMulti(url.searchParams.entries()) };
}

/** The requestContext fields every event shares. */
export function baseContext(stage: StageFacts, conn: ConnectionFacts, now = Date.now()) {
  return {
    stage: stage.stage,
    requestId: newRequestId(),
    extendedRequestId: newRequestId(),
    apiId: stage.apiId,
    connectedAt: conn.connectedAt,
    requestTime: requestTime(now),
    requestTimeEpoch: now,
    domainName: stage.domainName,
    connectionId: conn.id,
    identity: { sourceIp: conn.sourceIp, ...(conn.userAgent ? { userAgent: conn.userAgent } : {}) },
  };
}

/** The `$connect` requestContext, shared by the authorizer's event and the `$connect` event. */
export function connectContext(stage: StageFacts, conn: ConnectionFacts) {
  return { ...baseContext(stage, conn), routeKey: '$connect', eventType: 'CONNECT', messageDirection: 'IN' };
}

export type ConnectContext = ReturnType<typeof connectContext>;

export function methodArn(stage: StageFacts, routeKey: string): string {
  return `arn:aws:execute-api:local:000000000000:${stage.apiId}/${stage.stage}/${routeKey}`;
}

export function authorizerEvent(stage: StageFacts, request: UpgradeRequest, requestContext: ConnectContext) {
  return {
    type: 'REQUEST',
    methodArn: methodArn(stage, '$connect'),
    headers: request.headers.single,
    multiValueHeaders: request.headers.multi,
    queryStringParameters: request.query.single,
    multiValueQueryStringParameters: request.query.multi,
    stageVariables: {},
    requestContext,
  };
}

export function connectEvent(
  request: UpgradeRequest,
  requestContext: ConnectContext,
  authorizer: Record<string, unknown> | undefined,
) {
  const hasQuery = Object.keys(request.query.single).length > 0;
  return {
    headers: request.headers.single,
    multiValueHeaders: request.headers.multi,
    ...(hasQuery
      ? { queryStringParameters: request.query.single, multiValueQueryStringParameters: request.query.multi }
      : {}),
    requestContext: { ...requestContext, ...(authorizer ? { authorizer } : {}) },
    isBase64Encoded: false,
  };
}

/**
 * A message event; `routeKey` is the selected route (`$default` when none matched). Only text
 * messages are routed (a binary one closes the socket), so `isBase64Encoded` is always false.
 */
export function messageEvent(stage: StageFacts, conn: ConnectionFacts, routeKey: string, body: string) {
  return {
    requestContext: {
      ...baseContext(stage, conn),
      routeKey,
      messageId: newRequestId(),
      eventType: 'MESSAGE',
      messageDirection: 'IN',
      ...(conn.authorizer ? { authorizer: conn.authorizer } : {}),
    },
    body,
    isBase64Encoded: false,
  };
}

export function disconnectEvent(stage: StageFacts, conn: ConnectionFacts, code: number, reason: string) {
  return {
    headers: { Host: stage.domainName, 'x-api-key': '', 'X-Forwarded-For': '' },
    multiValueHeaders: { Host: [stage.domainName] },
    requestContext: {
      ...baseContext(stage, conn),
      routeKey: '$disconnect',
      eventType: 'DISCONNECT',
      messageDirection: 'IN',
      disconnectStatusCode: code,
      disconnectReason: reason,
      ...(conn.authorizer ? { authorizer: conn.authorizer } : {}),
    },
    isBase64Encoded: false,
  };
}

/** The frame API Gateway itself sends when no route matches or the integration fails. */
export function gatewayErrorFrame(
  message: 'Forbidden' | 'Internal server error',
  connectionId: string,
  requestId: string,
): string {
  return JSON.stringify({ message, connectionId, requestId });
}
