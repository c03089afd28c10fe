/**
 * Whether a group's creation is written in steps (its memberships batched, then `META`) rather than
 * in one transaction: its items (the memberships, `META`, and a keyed group's key) are more than one
 * transaction holds. Both writers (chats.ts `create`, group-keys.ts `create`) and the safety-net job
 * that follows a creation in steps (lambdas/domain/safety-net-jobs.ts) ask this, so that they agree.
 */
import { MAX_TRANSACTION_ITEMS } from './table-client.ts';

export function createdInSteps(memberships: number, keyed: boolean): boolean {
  return memberships + 1 + (keyed ? 1 : 0) > MAX_TRANSACTION_ITEMS;
}
