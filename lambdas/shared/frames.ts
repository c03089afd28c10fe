/** Builders for the server-to-client frames of the wire protocol (see docs/protocol.md). */
import type { ErrorCode } from './errors.ts';

export type Frame = { readonly type: string } & Record<string, unknown>;

export function ackFrame(action: string, requestId: string | null, result: Record<string, unknown>): Frame {
  return { type: 'ack', action, requestId, ...result };
}

export function errorFrame(
  action: string | null,
  requestId: string | null,
  code: ErrorCode,
  message: string,
): Frame {
  return { type: 'error', action, requestId, code, message };
}

export function eventFrame(type: string, fields: Record<string, unknown>): Frame {
  return { type, ...fields };
}
