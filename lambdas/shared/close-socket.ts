/**
 * The server closing a socket after one last error frame: a socket whose token has expired
 * (token-expiry.ts) and one that keeps sending after `RATE_LIMITED` (flood-guard.ts).
 *
 * The frame is posted first (Management API PostToConnection), then the connection is deleted
 * (DeleteConnection): a frame returned as the route response would be delivered after the function
 * returns, when the socket is gone. If the post fails, the frame goes back as the route response and
 * the socket is left open (nothing is deleted). Once the post landed the route answers nothing,
 * whatever the delete does: a delete that fails is tried once more, then logged and counted (the
 * caller's `leftOpen` metric), never answered with the frame a second time. Nothing here throws.
 */
import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { isGone } from '../fanout/delivery.ts';
import { getManagementClient } from './clients.ts';
import type { Frame } from './frames.ts';
import { logger } from './logger.ts';
import { type BusinessMetric, countMetric } from './metrics.ts';

/** Why a socket is closed, as its log lines and metric say it. */
export interface CloseReason {
  /** Completes "could not close a socket …", e.g. `with an expired token`. */
  readonly what: string;
  /** Counted when the socket could not be closed (DeleteConnection failed every attempt). */
  readonly leftOpen: BusinessMetric;
}

export interface CloseOutcome {
  /** The frame to answer as the route response: set when it could not be posted. */
  readonly answer: Frame | undefined;
  /** Whether the socket is closed (deleted, or gone already). */
  readonly closed: boolean;
}

/** Posts `frame` to the socket, then closes it (module comment). */
export async function tellAndClose(
  connectionId: string,
  frame: Frame,
  reason: CloseReason,
): Promise<CloseOutcome> {
  let client: ApiGatewayManagementApiClient;
  try {
    client = getManagementClient();
    await client.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(frame)) }),
    );
  } catch (error) {
    logger.warn(`could not post the last frame to a socket ${reason.what}`, { error, code: frame.code });
    return { answer: frame, closed: false };
  }
  // The frame landed: whatever the delete does, answering it again would send it twice.
  return { answer: undefined, closed: await deleteConnection(client, connectionId, reason) };
}

/** How many times the connection is deleted before it is left open (and counted). */
export const DELETE_ATTEMPTS = 2;

/**
 * Deletes the connection, trying once more on a failure (a throttle or a blip of the Management
 * API). A 410 means the socket is gone already. Still failing: logged and counted
 * (`reason.leftOpen`); the socket stays open.
 */
async function deleteConnection(
  client: ApiGatewayManagementApiClient,
  connectionId: string,
  reason: CloseReason,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      return true;
    } catch (error) {
      if (isGone(error)) return true;
      if (attempt < DELETE_ATTEMPTS) continue;
      logger.error(`could not close a socket ${reason.what}`, { error, attempts: attempt });
      countMetric(reason.leftOpen);
      return false;
    }
  }
}
