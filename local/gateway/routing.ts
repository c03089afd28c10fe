/**
 * Messages: route selection on `$request.body.action` (case-sensitive, `$default` otherwise), the
 * invocation, and the route response of two-way routes, within API Gateway's payload limit. A binary
 * message is not routed: the socket is closed with 1003, as API Gateway does.
 */
import { gatewayErrorFrame, messageEvent } from './events.ts';
import type { Invoker } from './invoker.ts';
import type { Connection } from './transport.ts';
import type { ExecutionLogEntry, GatewayLimits, StageFacts } from './types.ts';

/**
 * The route a text message goes to: the route named by a JSON object's `action` (never a `$`
 * route), else `$default`. Undefined when neither exists.
 */
export function selectRoute(routes: { has(routeKey: string): boolean }, body: string): string | undefined {
  const fallback = routes.has('$default') ? '$default' : undefined;
  let action: unknown;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      action = (parsed as Record<string, unknown>).action;
    }
  } catch {
    action = undefined;
  }
  if (typeof action === 'string' && !action.startsWith('$') && routes.has(action)) return action;
  return fallback;
}

/** The text a Lambda proxy result sends back on a two-way route, if any. */
export function routeResponseBody(result: unknown): string | undefined {
  if (typeof result === 'string') return result;
  const response = result as { body?: unknown; isBase64Encoded?: boolean } | undefined;
  if (!response || typeof response.body !== 'string' || response.body.length === 0) return undefined;
  return response.isBase64Encoded ? Buffer.from(response.body, 'base64').toString('utf8') : response.body;
}

export interface MessageDeps {
  readonly stage: StageFacts;
  readonly invoker: Invoker;
  readonly limits: GatewayLimits;
  readonly log: (entry: ExecutionLogEntry) => void;
}

/**
 * Why the gateway closes a socket that sent a binary message: API Gateway WebSocket APIs do not
 * take binary frames ("API Gateway rejects it and disconnects the client with code 1003"). The
 * reason text is the emulator's own.
 */
export const BINARY_CLOSE = { code: 1003, reason: 'Binary frames are not supported' } as const;

/**
 * Handles one client message: routes it, invokes the handler and delivers the route response. A
 * binary message closes the socket with 1003 (and `$disconnect` runs with that code); nothing is
 * invoked for it.
 */
export async function handleMessage(
  deps: MessageDeps,
  conn: Connection,
  data: Buffer,
  isBinary: boolean,
): Promise<void> {
  if (isBinary) {
    conn.close(BINARY_CLOSE.code, BINARY_CLOSE.reason);
    return;
  }
  const body = data.toString('utf8');
  const routeKey = selectRoute(deps.invoker, body);
  const event = messageEvent(deps.stage, conn, routeKey ?? '$default', body);
  const requestId = event.requestContext.requestId;
  if (!routeKey) {
    conn.send(gatewayErrorFrame('Forbidden', conn.id, requestId));
    return;
  }
  let result: unknown;
  try {
    result = await deps.invoker.invoke(routeKey, event, conn.id);
  } catch {
    conn.send(gatewayErrorFrame('Internal server error', conn.id, requestId));
    return;
  }
  if (!deps.invoker.route(routeKey)?.returnResponse) return;
  const response = routeResponseBody(result);
  if (response === undefined) return;
  const bytes = Buffer.byteLength(response, 'utf8');
  if (bytes > deps.limits.maxResponseBytes) {
    // API Gateway does not deliver a message over its payload quota: the caller gets nothing, the
    // socket stays open, and the failure shows only in the stage's execution log.
    deps.log({
      level: 'ERROR',
      routeKey,
      connectionId: conn.id,
      requestId,
      message: `Route response of ${bytes} bytes exceeds the message payload limit of ${deps.limits.maxResponseBytes} bytes: not sent.`,
    });
    return;
  }
  conn.send(response);
}
