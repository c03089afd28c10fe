/**
 * Frames of the wire protocol (see docs/protocol.md): parsing what a client sends, and building what
 * the server sends. Event fields are typed by the contract (`lambdas/contract/events.ts`).
 */
import type { EventFields, EventFrame, EventType } from '../contract/events.ts';
import { codePoints } from '../contract/fields.ts';
import { LIMITS } from '../contract/limits.ts';
import { ChatError, type ErrorCode } from './errors.ts';

export type Frame = { readonly type: string } & Record<string, unknown>;

/**
 * Requests larger than this are refused with PAYLOAD_TOO_LARGE. Only a client that fragments can send
 * one over 32 KB: API Gateway closes the socket with 1009 on a frame over 32 KB or a message over 128 KB.
 */
export const MAX_FRAME_BYTES = 64 * 1024;

/** API Gateway's quota on one client frame (local/gateway/types.ts plays it): over it, 1009. */
const GATEWAY_FRAME_BYTES = 32 * 1024;

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

/**
 * A requestId as the contract allows it: any string of at most 64 characters (code points), `""`,
 * `#` and control characters included. It is only ever echoed in a JSON reply (which escapes what
 * needs escaping) and logged as a JSON string: never a key, never queued.
 */
function isValidRequestId(value: unknown): value is string {
  return typeof value === 'string' && codePoints(value) <= LIMITS.idMaxChars;
}

const NOT_JSON = Symbol('not JSON');

function readJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/**
 * Parses a raw body. Throws `FrameError` for unusable frames: PAYLOAD_TOO_LARGE for one over
 * `MAX_FRAME_BYTES`, whatever else is wrong with it; else BAD_REQUEST when it is not a JSON object or
 * its requestId is not valid. The error names the frame's action and echoes its requestId when they
 * are usable (a JSON object of at most 128 KB, which is all the gateway delivers, parses quickly).
 */
export function parseFrame(body: string | undefined, isBase64Encoded = false): ParsedFrame {
  const text =
    body === undefined ? '' : isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  const value = readJson(text);
  const object = isPlainObject(value) ? value : undefined;
  const action = typeof object?.action === 'string' ? object.action : null;
  const requestId = isValidRequestId(object?.requestId) ? object.requestId : null;
  const fail = (code: 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE', message: string) =>
    Object.assign(new FrameError(code, message), { action, requestId });
  if (Buffer.byteLength(text, 'utf8') > MAX_FRAME_BYTES) {
    throw fail(
      'PAYLOAD_TOO_LARGE',
      `A request must be at most ${MAX_FRAME_BYTES / 1024} KB, sent in frames of at most ${GATEWAY_FRAME_BYTES / 1024} KB.`,
    );
  }
  if (value === NOT_JSON) {
    throw new FrameError('BAD_REQUEST', 'The frame is not valid JSON. Send one JSON object per frame.');
  }
  if (!object) throw new FrameError('BAD_REQUEST', 'The frame must be a JSON object with an "action".');
  const rawRequestId = object.requestId;
  if (rawRequestId !== undefined && rawRequestId !== null && requestId === null) {
    throw fail('BAD_REQUEST', `"requestId" must be a string of at most ${LIMITS.idMaxChars} characters.`);
  }
  return { action, requestId, fields: object };
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
