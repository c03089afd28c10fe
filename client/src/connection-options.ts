/** What a Connection (connection.ts) is given, and the frames it passes on. */
import type { StateChange, TokenSource, WebSocketConstructor } from './api.ts';

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
  readonly log: (level: 'debug' | 'warn', message: string, data?: unknown) => void;
}

export type Frame = Record<string, unknown> & { type?: unknown; requestId?: unknown };
