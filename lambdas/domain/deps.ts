/**
 * The domain's dependencies, wired once per container from the shared clients, and replaceable in
 * tests. Domain code receives them as an argument and knows nothing of API Gateway.
 */
import { type ChatStore, store } from '../data/store.ts';
import { Notifier } from '../notify/fanout.ts';
import { getManagementClient } from '../shared/clients.ts';
import { config } from '../shared/config.ts';

export interface Deps {
  readonly store: ChatStore;
  readonly notifier: Notifier;
  readonly now: () => Date;
}

let current: Deps | undefined;

export function deps(): Deps {
  if (!current) {
    const chatStore = store();
    current = {
      store: chatStore,
      notifier: new Notifier(getManagementClient, chatStore, { concurrency: config().fanOutConcurrency }),
      now: () => new Date(),
    };
  }
  return current;
}

export function setDeps(next: Deps | undefined): void {
  current = next;
}
