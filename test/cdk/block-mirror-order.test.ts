/**
 * Deploy order for the blocks' mirror (lib/block-mirror-order.ts): every function that marks direct
 * chats mirrored or trusts the mark is updated only after the block routes' functions, which keep
 * the mirror (their resources depend on them in the template).
 */
import type { CfnResource } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { MIRROR_KEEPERS, MIRROR_USERS } from '../../lib/block-mirror-order.ts';
import type { ChatFunction } from '../../lib/chat-function.ts';
import { type Resources, useSynth } from './support.ts';

const { s, resources } = useSynth();

const logicalId = (fn: ChatFunction | undefined): string => {
  if (!fn) throw new Error('no such function');
  return s.stack.getLogicalId(fn.function.node.defaultChild as CfnResource);
};

describe('the blocks’ mirror in the deploy order', { timeout: 180_000 }, () => {
  it('updates sendMessage, createChat and the scheduled dispatcher after blockUser and unblockUser', () => {
    const keepers = MIRROR_KEEPERS.map((key) => logicalId(s.stack.chatApi.functions.get(key)));
    const users = [
      ...MIRROR_USERS.map((key) => logicalId(s.stack.chatApi.functions.get(key))),
      logicalId(s.stack.scheduled.dispatcher),
    ];
    const all: Resources = resources;
    for (const user of users) {
      expect(all[user]?.Type).toBe('AWS::Lambda::Function');
      expect(all[user]?.DependsOn ?? []).toEqual(expect.arrayContaining(keepers));
    }
  });
});
