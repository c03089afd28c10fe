/**
 * One open connection: its socket, the idle and hard timers, sending, and closing with the code
 * API Gateway would use (which `$disconnect` reports, whatever the client echoes).
 */
import { WebSocket } from 'ws';
import { limitFrameBytes, sendInFrames } from './frame-limit.ts';
import type { ConnectionFacts, GatewayLimits } from './types.ts';

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

export interface ConnectionHooks {
  /** A frame arrived (activity already recorded). */
  readonly onMessage: (data: Buffer, isBinary: boolean) => void;
  /** The socket closed (by either side); not called after {@link Connection.vanish}. */
  readonly onClose: (closed: CloseInfo) => void;
}

/** The close API Gateway answers a protocol error with (ws reports them as `WS_ERR_*` codes). */
export function protocolClose(errorCode: string | undefined): CloseInfo {
  if (errorCode === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return { code: 1009, reason: 'Message too big' };
  if (errorCode === 'WS_ERR_INVALID_UTF8') return { code: 1007, reason: 'Invalid frame payload data' };
  return { code: 1002, reason: 'Protocol error' };
}

export function defaultReason(code: number): string {
  return code === 1000 ? 'Normal closure' : code === 1006 ? 'Connection lost' : '';
}

export class Connection implements ConnectionFacts {
  readonly id: string;
  readonly connectedAt: number;
  readonly sourceIp: string;
  readonly userAgent: string | undefined;
  readonly authorizer: Record<string, unknown> | undefined;
  lastActiveAt: number;
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #hardTimer: NodeJS.Timeout;
  /** Why the gateway closed the socket, when it did. */
  #serverClose: CloseInfo | undefined;

  constructor(
    facts: ConnectionFacts,
    readonly socket: WebSocket,
    private readonly limits: GatewayLimits,
    hooks: ConnectionHooks,
  ) {
    this.id = facts.id;
    this.connectedAt = facts.connectedAt;
    this.sourceIp = facts.sourceIp;
    this.userAgent = facts.userAgent;
    this.authorizer = facts.authorizer;
    this.lastActiveAt = Date.now();
    this.#armIdle();
    this.#hardTimer = setTimeout(() => this.close(1001, 'Going away'), limits.maxConnectionMs);
    this.#hardTimer.unref();
    // Before any frame is read: `ws` reads none until the upgrade's callback has returned.
    limitFrameBytes(socket, limits.maxFrameBytes);
    socket.on('message', (data, isBinary) => {
      this.lastActiveAt = Date.now();
      this.#armIdle();
      hooks.onMessage(data as Buffer, isBinary);
    });
    socket.on('error', (error: Error & { code?: string }) => {
      // ws closes the socket after a protocol error (1009 for an oversized frame or message) and stops reading,
      // so the client's echo never arrives: record the gateway's own code for `$disconnect`.
      if (!error.code?.startsWith('WS_ERR_')) return;
      this.#serverClose ??= protocolClose(error.code);
    });
    socket.on('close', (code, reason) => {
      this.#clearTimers();
      hooks.onClose(this.#serverClose ?? { code, reason: reason.toString() || defaultReason(code) });
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Sends one text message if the socket is open, in frames of at most the frame quota each, as API
   * Gateway does ("a message larger than 32 KB must be split into multiple frames, each 32 KB or
   * smaller; this applies to @connections commands"). A frame boundary may cut a character's UTF-8
   * bytes: only the whole message must be UTF-8, and every client reassembles the frames.
   */
  send(text: string | Buffer): void {
    if (!this.isOpen) return;
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    sendInFrames(this.socket, bytes, this.limits.maxFrameBytes);
  }

  /** Closes the socket from the gateway's side with `code`. */
  close(code: number, reason: string): void {
    this.#serverClose ??= { code, reason };
    this.socket.close(code, reason);
  }

  /** Drops the socket without a close handshake and without reporting the close. */
  vanish(): void {
    this.#clearTimers();
    this.socket.removeAllListeners('close');
    this.socket.terminate();
  }

  terminate(): void {
    this.socket.terminate();
  }

  #armIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.close(1001, 'Going away'), this.limits.idleTimeoutMs);
    this.#idleTimer.unref();
  }

  #clearTimers(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    clearTimeout(this.#hardTimer);
  }
}
