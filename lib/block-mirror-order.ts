/**
 * Deploy order for the blocks' mirror on direct chats (lambdas/domain/block-mirror.ts).
 *
 * The routes that write the mirror's flag or trust it (sendMessage, createChat, the scheduled
 * dispatcher) must never run beside an older `blockUser` / `unblockUser` that changes block items
 * without the mirror: a chat marked mirrored would then miss that change. So on a stack update
 * CloudFormation replaces the block routes' code first (the others depend on them). A rollback to
 * code older than the mirror, followed by a new deploy, needs `npm run repair:block-mirror` between
 * the two (docs/deploy.md, "The blocks' mirror").
 */
import type { Construct } from 'constructs';
import type { ChatApi } from './chat-api.ts';

/** The routes whose code keeps the mirror in step with the block items. */
export const MIRROR_KEEPERS = ['blockUser', 'unblockUser'] as const;
/** The routes that mark chats mirrored or skip the block read because of it. */
export const MIRROR_USERS = ['sendMessage', 'createChat'] as const;

/** Makes every mirror user (and `others`: the dispatcher) depend on the keepers. */
export function orderBlockMirror(api: ChatApi, others: readonly Construct[] = []): void {
  const keepers = MIRROR_KEEPERS.flatMap((key) => api.functions.get(key) ?? []);
  const users = [...MIRROR_USERS.flatMap((key) => api.functions.get(key) ?? []), ...others];
  for (const user of users) user.node.addDependency(...keepers);
}
