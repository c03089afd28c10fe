/**
 * The size limit of a request frame. API Gateway takes WebSocket frames of at most 32 KB (an AWS
 * quota that cannot be raised) and closes the socket with 1009 on a bigger one; browsers and React
 * Native send each message as one frame. So the client measures every request before sending it and
 * refuses a bigger one itself (`PAYLOAD_TOO_LARGE`), instead of losing the socket over it.
 */
import type { Frame, Warn } from './connection-options.ts';
import { ChatClientError } from './errors.ts';

/** The largest request frame the client sends, in UTF-8 bytes. */
export const MAX_FRAME_BYTES = 32 * 1024;

/** The close code of a socket that received a frame over its limit. */
export const CLOSE_TOO_BIG = 1009;

/**
 * The UTF-8 size of a string (no TextEncoder needed: React Native may not have one). A lone
 * surrogate counts 3 bytes, like its escape would (JSON.stringify escapes it).
 */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (const c of text) {
    const p = c.codePointAt(0) as number;
    bytes += p < 0x80 ? 1 : p < 0x800 ? 2 : p < 0x10000 ? 3 : 4;
  }
  return bytes;
}

export function tooLarge(action: string, bytes: number): ChatClientError {
  return new ChatClientError(
    'PAYLOAD_TOO_LARGE',
    `The ${action} request is ${bytes} bytes; a frame may have at most ${MAX_FRAME_BYTES} bytes (MAX_FRAME_BYTES).`,
    action,
  );
}

/** A received frame as an object, or undefined (logged when it is not JSON). */
export function parseFrame(data: unknown, warn: Warn): Frame | undefined {
  let frame: unknown;
  try {
    frame = JSON.parse(String(data));
  } catch {
    warn('a frame that is not JSON', data);
    return undefined;
  }
  return typeof frame === 'object' && frame !== null ? (frame as Frame) : undefined;
}
