/**
 * The size limit of a request frame. API Gateway takes WebSocket frames of at most 32 KB (an AWS
 * quota that cannot be raised) and closes the socket with 1009 on a bigger one; browsers and React
 * Native send each message as one frame. So the client measures every request before sending it and
 * refuses a bigger one itself (`PAYLOAD_TOO_LARGE`), instead of losing the socket over it.
 */
import type { Frame } from './connection-options.ts';
import { ChatClientError } from './errors.ts';

/** The largest request frame the client sends, in UTF-8 bytes. */
export const MAX_FRAME_BYTES = 32 * 1024;

/** The close code of a socket that received a frame over its limit. */
export const CLOSE_TOO_BIG = 1009;

/** The UTF-8 size of a string (no TextEncoder needed: React Native may not have one). */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      // A surrogate pair is one code point of 4 bytes (JSON.stringify escapes a lone surrogate).
      if (low >= 0xdc00 && low <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
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
export function parseFrame(
  data: unknown,
  log: (level: 'warn', message: string, data?: unknown) => void,
): Frame | undefined {
  let frame: unknown;
  try {
    frame = JSON.parse(String(data));
  } catch {
    log('warn', 'a frame that is not JSON', data);
    return undefined;
  }
  return typeof frame === 'object' && frame !== null ? (frame as Frame) : undefined;
}
