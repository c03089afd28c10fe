/** What a Connection (connection.ts) is given, with the client's defaults, and the frames it passes on. */
import type { ClientOptions, StateChange, TokenSource, WebSocketConstructor } from './api.ts';
import { globalWebSocket } from './util.ts';

export interface ConnectionOptions {
  readonly url: string;
  readonly token: TokenSource;
  readonly WebSocket: WebSocketConstructor;
  readonly requestTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly maxSocketAgeMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly onState: (change: StateChange) => void;
  readonly onOpen: () => void;
  readonly onEvent: (frame: Frame) => void;
  readonly warn: Warn;
}

/** Logs a warning (the app's `logger.warn`). */
export type Warn = (message: string, data?: unknown) => void;

export type Frame = Record<string, unknown> & { type?: unknown; requestId?: unknown };

/** `options` with the socket and the timings' defaults filled in. */
export function connectionTiming(options: ClientOptions) {
  const WebSocket = (options.WebSocket ?? globalWebSocket()) as WebSocketConstructor | undefined;
  if (!WebSocket)
    throw new Error('No global WebSocket here: pass one, e.g. connect({ WebSocket }) from "ws".');
  return {
    ...options,
    WebSocket,
    requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
    pingIntervalMs: options.pingIntervalMs ?? 240_000,
    maxSocketAgeMs: options.maxSocketAgeMs ?? 115 * 60_000,
    backoffBaseMs: options.backoffBaseMs ?? 500,
    backoffMaxMs: options.backoffMaxMs ?? 30_000,
  };
}
