/**
 * The domain's dependencies, wired once per container from the shared clients, and replaceable in
 * tests. Domain code receives them as an argument and knows nothing of API Gateway.
 */
import type { MediaBucket } from '../data/media-bucket.ts';
import { type ChatStore, store } from '../data/store.ts';
import { FanOut } from '../fanout/fanout.ts';
import { getManagementClient } from '../shared/clients.ts';
import { config } from '../shared/config.ts';

export interface Deps {
  readonly store: ChatStore;
  readonly fanOut: FanOut;
  readonly now: () => Date;
  /** Connection lookups in flight at once when presence is asked about many users. */
  readonly presenceConcurrency: number;
  /**
   * The media bucket (S3). Unset: the container's own, on first use (lambdas/domain/media.ts), so
   * that only the functions that handle attachments bundle and configure it.
   */
  readonly media?: MediaBucket;
}

let current: Deps | undefined;

export function deps(): Deps {
  if (!current) {
    const chatStore = store();
    const { fanOutConcurrency, presenceConcurrency } = config();
    current = {
      store: chatStore,
      fanOut: new FanOut(getManagementClient, chatStore.connections, { concurrency: fanOutConcurrency }),
      now: () => new Date(),
      presenceConcurrency,
    };
  }
  return current;
}

export function setDeps(next: Deps | undefined): void {
  current = next;
}
