/**
 * The browser's WebSocket, made to notice `offline`: browsers keep a socket open (often for
 * minutes) after the network goes away and never close it for `navigator.onLine`. When the browser
 * says it is offline, every socket is dropped at once, so the client shows "reconnecting" and
 * queues what the user writes; when it is back online the client reconnects without waiting for its
 * backoff, and catches up (sync) before anything is shown as current. It also tells how each
 * handshake ended, and when an opened socket closed (`watchHandshakes`): one that never opened, while
 * online, may have been refused.
 */
import type { WebSocketConstructor } from '../../client/src/index.ts';

const open = new Set<WebSocket>();

export interface HandshakeWatch {
  opened(): void;
  /** A socket that had opened closed. */
  closed(): void;
  /** A socket closed before it opened, `ms` after it was made, while the browser was online. */
  failed(ms: number): void;
}

let watch: HandshakeWatch | undefined;

/** Reports how each socket's handshake ends (one page, one watcher). */
export function watchHandshakes(w: HandshakeWatch): void {
  watch = w;
}

/** A WebSocket class for `connect({ WebSocket })`. */
export const OnlineAwareWebSocket: WebSocketConstructor = class extends WebSocket {
  constructor(url: string) {
    // Offline: no attempt at all (the client backs off and retries; 'online' wakes it up).
    if (!navigator.onLine) throw new Error('The browser is offline.');
    super(url);
    const made = Date.now();
    let opened = false;
    open.add(this);
    this.addEventListener('open', () => {
      opened = true;
      watch?.opened();
    });
    this.addEventListener('close', () => {
      open.delete(this);
      if (opened) watch?.closed();
      else if (navigator.onLine) watch?.failed(Date.now() - made);
    });
  }
} as unknown as WebSocketConstructor;

/** Calls `back` when the browser is online again (after dropping every socket when it went offline). */
export function watchNetwork(back: () => void, changed: (online: boolean) => void): void {
  window.addEventListener('offline', () => {
    for (const socket of open) socket.close(3000, 'offline');
    changed(false);
  });
  window.addEventListener('online', () => {
    changed(true);
    back();
  });
}
