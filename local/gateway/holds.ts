/**
 * Held posts (tests): Management API posts whose frame a test picked wait until the test lets them
 * go, so a test can order "while that event is still going out" without timing it.
 */

/** Picks the posts to hold: the connection posted to and the frame posted (its JSON text). */
export type PostMatcher = (connectionId: string, body: string) => boolean;

/** A hold the test opens: the posts it held go on, and later ones are no longer held. */
export interface PostHold {
  release(): void;
  /** How many posts are waiting on this hold now. */
  readonly waiting: number;
}

interface Hold {
  readonly match: PostMatcher;
  readonly opened: Promise<void>;
  readonly open: () => void;
  waiting: number;
}

export class PostHolds {
  readonly #holds = new Set<Hold>();

  hold(match: PostMatcher): PostHold {
    let open = (): void => undefined;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    const entry: Hold = { match, opened, open: () => open(), waiting: 0 };
    this.#holds.add(entry);
    const holds = this.#holds;
    return {
      release() {
        holds.delete(entry);
        entry.open();
      },
      get waiting() {
        return entry.waiting;
      },
    };
  }

  /** Resolves once no open hold picks this post (at once when none does). */
  async pass(connectionId: string, body: Buffer): Promise<void> {
    if (this.#holds.size === 0) return;
    const text = body.toString('utf8');
    for (const entry of [...this.#holds]) {
      if (!entry.match(connectionId, text)) continue;
      entry.waiting++;
      try {
        await entry.opened;
      } finally {
        entry.waiting--;
      }
    }
  }

  /** Lets every held post go (the gateway stopping). */
  releaseAll(): void {
    for (const entry of [...this.#holds]) {
      this.#holds.delete(entry);
      entry.open();
    }
  }
}
