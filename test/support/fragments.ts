/**
 * Sending a message in several WebSocket frames, as a client that fragments does: API Gateway
 * closes the socket with 1009 on any frame over 32 KB, so a larger message (up to 128 KB) must come
 * in frames of at most 32 KB each (local/gateway/frame-limit.ts).
 */
import type WebSocket from 'ws';
import { AWS_LIMITS } from '../../local/gateway.ts';

/**
 * Sends `data` as one message (text for a string, binary for a Buffer, as `ws` does) in frames of at
 * most `frameBytes` bytes each, the last one with FIN. A frame boundary may cut a character's UTF-8
 * bytes: only the whole message must be UTF-8.
 */
export function sendInFrames(socket: WebSocket, data: string | Buffer, frameBytes: number): void {
  const binary = typeof data !== 'string';
  const bytes = binary ? data : Buffer.from(data, 'utf8');
  for (let at = 0; at === 0 || at < bytes.length; at += frameBytes) {
    socket.send(bytes.subarray(at, at + frameBytes), { binary, fin: at + frameBytes >= bytes.length });
  }
}

/** Sends `data` like a client that fragments at API Gateway's frame quota (32 KB). */
export function sendFragmented(socket: WebSocket, data: string | Buffer): void {
  sendInFrames(socket, data, AWS_LIMITS.maxFrameBytes);
}
