/**
 * The floor's first half: a plain `ws` relay with no storage and no auth. A client connects with
 * `?id=<n>`; a frame `{"to": <n>, ...}` is forwarded as is to the socket registered as `<n>`.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { LOOPBACK_HOST } from '../local/defaults.ts';

export interface Relay {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startRelay(): Promise<Relay> {
  const sockets = new Map<string, WebSocket>();
  const wss = new WebSocketServer({ host: LOOPBACK_HOST, port: 0 });
  wss.on('connection', (socket, req) => {
    const id = new URL(req.url ?? '/', 'http://localhost').searchParams.get('id') ?? '';
    sockets.set(id, socket);
    socket.on('message', (data) => {
      const text = data.toString();
      const to = (JSON.parse(text) as { to?: unknown }).to;
      sockets.get(String(to))?.send(text);
    });
    socket.on('close', () => sockets.delete(id));
  });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://${LOOPBACK_HOST}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of wss.clients) s.terminate();
        wss.close(() => resolve());
      }),
  };
}
