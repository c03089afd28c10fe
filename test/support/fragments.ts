/**
 * Sending a message in several WebSocket frames, as a client that fragments does: API Gateway
 * closes the socket with 1009 on any frame over 32 KB, so a larger message (up to 128 KB) must come
 * in frames of at most 32 KB each (local/gateway/frame-limit.ts).
 */
import type WebSocket from 'ws';
import { sendInFrames as framed } from '../../local/gateway/frame-limit.ts';
import { AWS_LIMITS } from '../../local/gateway.ts';

/** Sends `data` as one message (text for a string, binary for a Buffer, as `ws` does) in frames. */
export function sendInFrames(socket: WebSocket, data: string | Buffer, frameBytes: number): void {
  const binary = typeof data !== 'string';
  framed(socket, binary ? data : Buffer.from(data, 'utf8'), frameBytes, binary);
}

/** Sends `data` like a client that fragments at API Gateway's frame quota (32 KB). */
export function sendFragmented(socket: WebSocket, data: string | Buffer): void {
  sendInFrames(socket, data, AWS_LIMITS.maxFrameBytes);
}
