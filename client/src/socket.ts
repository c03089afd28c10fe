/**
 * One WebSocket of the connection (connection.ts): its URL with the token, its handlers, and what
 * they tell of a refused handshake (Node's `ws` shows the HTTP status; browsers show nothing).
 */
import type { WebSocketLike } from './api.ts';

export interface SocketHandlers {
  open(): void;
  message(data: unknown): void;
  /** The socket closed: whether it had opened, the close code, and a refused handshake's HTTP status if known. */
  close(opened: boolean, code: number, status: number | undefined): void;
}

/** The API's URL with the token in the query string. */
export function socketUrl(base: string, token: string): string {
  return `${base}${base.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

export function attach(socket: WebSocketLike, handlers: SocketHandlers): void {
  let opened = false;
  let status: number | undefined;
  socket.onopen = () => {
    opened = true;
    handlers.open();
  };
  socket.onmessage = (event: { data?: unknown }) => handlers.message(event.data);
  socket.onerror = (event: { message?: unknown; error?: { message?: unknown } }) => {
    // Node's `ws` says "Unexpected server response: 401"; browsers say nothing.
    const text = `${event?.message ?? ''} ${event?.error?.message ?? ''}`;
    const match = /response: (\d{3})/.exec(text);
    if (match) status = Number(match[1]);
  };
  socket.onclose = (event: { code?: number; reason?: string }) =>
    handlers.close(opened, event?.code ?? 1006, status);
}

/**
 * Stops listening to a socket (before closing it, or after giving up on it). One that opens after
 * all is closed then: React Native on Android ignores `close()` while a socket is connecting and
 * opens it later, which would leave the user online on a socket nobody reads.
 */
export function detach(socket: WebSocketLike | undefined): WebSocketLike | undefined {
  // No-ops rather than null: Node's `ws` throws an 'error' without a listener (closing a
  // socket that is still connecting emits one).
  const ignore = (): void => undefined;
  if (socket) {
    socket.onmessage = socket.onerror = socket.onclose = ignore;
    socket.onopen = () => socket.close(1000);
  }
  return socket;
}
