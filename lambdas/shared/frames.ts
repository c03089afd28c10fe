/**
 * Frames of the wire protocol (see docs/protocol.md): parsing what a client sends, and building what
 * the server sends. Event fields are typed by the contract (`lambdas/contract/events.ts`).
 */
import type { EventFields, EventFrame, EventType } from '../contract/events.ts';
import { LIMITS } from '../contract/limits.ts';
import { ChatError, type ErrorCode } from './errors.ts';

export type Frame = { readonly type: string } & Record<string, unknown>;

/**
 * Requests larger than this are refused with PAYLOAD_TOO_LARGE. Only a client that fragments can send
 * one over 32 KB: API Gateway closes the socket with 1009 on a frame over 32 KB or a message over 128 KB.
 */
export const MAX_FRAME_BYTES = 64 * 1024;

export type Fields = Readonly<Record<string, unknown>>;

export interface ParsedFrame {
  readonly action: string | null;
  readonly requestId: string | null;
  /** The whole frame object; an action's schema picks its own fields from it. */
  readonly fields: Fields;
}

export class FrameError extends ChatError {
  action: string | null = null;
  requestId: string | null = null;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a raw body. Throws `FrameError` (BAD_REQUEST / PAYLOAD_TOO_LARGE) for unusable frames. */
export function parseFrame(body: string | undefined, isBase64Encoded = false): ParsedFrame {
  const text =
    body === undefined ? '' : isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FrameError('BAD_REQUEST', 'The frame is not valid JSON. Send one JSON object per frame.');
  }
  if (!isPlainObject(value)) {
    throw new FrameError('BAD_REQUEST', 'The frame must be a JSON object with an "action".');
  }
  const action = typeof value.action === 'string' ? value.action : null;
  const rawRequestId = value.requestId;
  const requestId =
    typeof rawRequestId === 'string' && rawRequestId.length <= LIMITS.idMaxChars ? rawRequestId : null;
  const fail = (code: 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE', message: string) =>
    Object.assign(new FrameError(code, message), { action, requestId });
  if (rawRequestId !== undefined && rawRequestId !== null && requestId === null) {
    throw fail('BAD_REQUEST', `"requestId" must be a string of at most ${LIMITS.idMaxChars} characters.`);
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_FRAME_BYTES) {
    throw fail('PAYLOAD_TOO_LARGE', `Frames must be at most ${MAX_FRAME_BYTES / 1024} KB.`);
  }
  return { action, requestId, fields: value };
}

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

/** Builds an event frame; its fields are checked against the contract at compile time. */
export function event<T extends EventType>(type: T, fields: EventFields<T>): EventFrame<T> {
  return { type, ...fields } as EventFrame<T>;
}
