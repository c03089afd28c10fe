/** The contract's registry is complete and consistent with its modules. */
import { describe, expect, it } from 'vitest';
import * as chats from '../../lambdas/contract/actions/chats.ts';
import * as media from '../../lambdas/contract/actions/media.ts';
import * as messages from '../../lambdas/contract/actions/messages.ts';
import * as people from '../../lambdas/contract/actions/people.ts';
import * as scheduled from '../../lambdas/contract/actions/scheduled.ts';
import { ACTION_NAMES, CONTRACT_ACTIONS } from '../../lambdas/contract/index.ts';

describe('contract registry', () => {
  it('lists every declared action once, under its own name', () => {
    const declared = [chats, media, messages, people, scheduled].flatMap((m) => Object.values(m));
    expect(ACTION_NAMES.slice().sort()).toEqual(declared.map((d) => d.name).sort());
    for (const [key, def] of Object.entries(CONTRACT_ACTIONS)) expect(def.name).toBe(key);
  });
});
