/**
 * Request deps on the test stack's table whose one read fails as a throttled DynamoDB call does
 * (after the SDK's retries), with the fan-out jobs they queue kept instead of sent: for tests of what
 * a request hands to the fan-out worker when it cannot read a group's roster or the actor's blocks
 * (receipts.ts). The worker's own run is the real handler's (the tests call it with the jobs).
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll } from 'vitest';
import type { ChatStore } from '../../lambdas/data/store.ts';
import type { Deps } from '../../lambdas/domain/deps.ts';
import { StoreDirectory } from '../../lambdas/fanout/directory.ts';
import { FanOut } from '../../lambdas/fanout/fanout.ts';
import type { FanOutJob } from '../../lambdas/fanout/jobs.ts';
import { fakeQueue } from '../unit/fanout-fakes.ts';
import type { TestStack } from './stack.ts';
import type { TableStore } from './table-store.ts';

const throttled = async (): Promise<never> =>
  Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));

export interface FailingReads {
  /** Deps whose group roster reads fail (`StoreDirectory.someSocketsOfGroup`). */
  unreadableRoster(): { deps: Deps; jobs: FanOutJob[] };
  /** Deps whose block reads fail (`store.blocks.blockedOf`). */
  unreadableBlocks(): { deps: Deps; jobs: FanOutJob[] };
}

/** Made in a test file's body: one Management API client for the file, destroyed after its tests. */
export function useFailingReads(stack: TestStack, table: TableStore): FailingReads {
  let client: ApiGatewayManagementApiClient | undefined;
  afterAll(() => client?.destroy());
  const depsOf = (store: ChatStore, directory: StoreDirectory) => {
    client ??= new ApiGatewayManagementApiClient({ endpoint: stack.managementEndpoint });
    const api = client;
    const { queue, jobs } = fakeQueue();
    const deps: Deps = {
      store,
      fanOut: new FanOut(() => api, directory, { queue }),
      now: () => new Date(),
      presenceConcurrency: 4,
    };
    return { deps, jobs };
  };
  return {
    unreadableRoster() {
      const directory = new StoreDirectory(table.store);
      directory.someSocketsOfGroup = throttled;
      return depsOf(table.store, directory);
    },
    unreadableBlocks() {
      const blocks = Object.create(table.store.blocks) as ChatStore['blocks'];
      blocks.blockedOf = throttled;
      const store = Object.assign(Object.create(table.store) as ChatStore, { blocks });
      return depsOf(store, new StoreDirectory(store));
    },
  };
}
