/**
 * Malformed and hostile frames for the blocking actions (blockUser, unblockUser, listBlocked) and the
 * refusals a block causes, as in hostile-frames.test.ts: each gets the right error frame naming what
 * to fix, nothing is written anywhere (the whole table is compared before and after), nobody gets an
 * event, and the socket stays usable.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { makeDirect, makeGroup } from '../support/chat.ts';
import { useTrio } from '../support/trio.ts';
import { expectRefusedCleanly, type HostileCase, tableSnapshot } from './hostile/harness.ts';

interface World {
  /** alice ↔ bob; bob has blocked alice. */
  ab: string;
  /** alice's group with carol. */
  g: string;
  alice: string;
  bob: string;
  carol: string;
}

const t = useTrio<World>('hostile-b', async ({ alice, bob, carol }) => {
  const ab = (await makeDirect(alice, bob.userId)).chatId;
  const g = (await makeGroup(alice, [carol.userId], 'g')).chatId;
  await bob.ok('blockUser', { userId: alice.userId });
  await alice.ok('blockUser', { userId: 'someone' });
  return { ab, g, alice: alice.userId, bob: bob.userId, carol: carol.userId };
});

type Case = HostileCase<World>;

const BAD = 'BAD_REQUEST';
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

/** The same userId cases for blockUser and unblockUser. */
const userIdCases = (action: 'blockUser' | 'unblockUser'): Case[] => {
  const f = (userId: unknown) => () => ({ action, userId });
  return [
    { name: `${action}: userId missing`, frame: f(undefined), code: BAD, says: /"userId" is required/ },
    { name: `${action}: userId null`, frame: f(null), code: BAD, says: /"userId"/ },
    { name: `${action}: userId a number`, frame: f(42), code: BAD, says: /"userId"/ },
    { name: `${action}: userId an array`, frame: f(['bob']), code: BAD, says: /"userId"/ },
    { name: `${action}: userId an object`, frame: f({ $ne: '' }), code: BAD, says: /"userId"/ },
    { name: `${action}: userId empty`, frame: f(''), code: BAD, says: /"userId"/ },
    { name: `${action}: userId blank`, frame: f('   '), code: BAD, says: /"userId"/ },
    { name: `${action}: userId 65 chars`, frame: f('u'.repeat(65)), code: BAD, says: /"userId"/ },
    { name: `${action}: userId with #`, frame: f('USER#x'), code: BAD, says: /"userId"/ },
    { name: `${action}: userId with NUL`, frame: f('a\u0000b'), code: BAD, says: /"userId"/ },
    { name: `${action}: userId lone surrogate`, frame: f('a\ud800'), code: BAD, says: /"userId"/ },
    { name: `${action}: userId padded`, frame: f(' bob'), code: BAD, says: /"userId"/ },
    { name: `${action}: userId 60 KB`, frame: f('x'.repeat(60_000)), code: BAD, says: /"userId"/ },
  ];
};

const list = (fields: Record<string, unknown>) => () => ({ action: 'listBlocked', ...fields });

const CASES: Case[] = [
  ...userIdCases('blockUser'),
  ...userIdCases('unblockUser'),
  {
    name: 'blockUser: oneself',
    frame: (x) => ({ action: 'blockUser', userId: x.alice }),
    code: BAD,
    says: /"userId"/,
  },
  {
    name: 'blockUser: __proto__ userId',
    frame: () => JSON.parse('{"action":"blockUser","__proto__":{"userId":"bob"}}'),
    code: BAD,
    says: /"userId" is required/,
  },
  // ── listBlocked ───────────────────────────────────────────────────────────────────────────
  { name: 'listBlocked: limit 0', frame: list({ limit: 0 }), code: BAD, says: /"limit"/ },
  { name: 'listBlocked: limit 101', frame: list({ limit: 101 }), code: BAD, says: /"limit"/ },
  { name: 'listBlocked: limit -1', frame: list({ limit: -1 }), code: BAD, says: /"limit"/ },
  { name: 'listBlocked: limit 1.5', frame: list({ limit: 1.5 }), code: BAD, says: /"limit"/ },
  { name: 'listBlocked: limit a string', frame: list({ limit: '10' }), code: BAD, says: /"limit"/ },
  { name: 'listBlocked: cursor a number', frame: list({ cursor: 7 }), code: BAD, says: /"cursor"/ },
  {
    name: 'listBlocked: cursor an object',
    frame: list({ cursor: { pk: 'USER#bob' } }),
    code: BAD,
    says: /"cursor"/,
  },
  { name: 'listBlocked: cursor empty', frame: list({ cursor: '' }), code: BAD, says: /"cursor"/ },
  { name: 'listBlocked: cursor not base64url', frame: list({ cursor: '!!!' }), code: BAD, says: /"cursor"/ },
  { name: 'listBlocked: cursor with #', frame: list({ cursor: b64('a#b') }), code: BAD, says: /"cursor"/ },
  {
    name: 'listBlocked: cursor of a control char',
    frame: list({ cursor: b64('\u0001') }),
    code: BAD,
    says: /"cursor"/,
  },
  {
    name: 'listBlocked: cursor too long',
    frame: list({ cursor: 'A'.repeat(1025) }),
    code: BAD,
    says: /"cursor"/,
  },
  {
    name: 'listBlocked: cursor of 65 chars',
    frame: list({ cursor: b64('u'.repeat(65)) }),
    code: BAD,
    says: /"cursor"/,
  },
  {
    name: 'listBlocked: cursor padded base64',
    frame: list({ cursor: `${b64('bob')}==` }),
    code: BAD,
    says: /"cursor"/,
  },
  // ── What the block refuses (bob blocked alice) ────────────────────────────────────────────
  {
    name: 'blocked: createChat direct',
    frame: (x) => ({ action: 'createChat', kind: 'direct', userId: x.bob }),
    code: 'FORBIDDEN',
  },
  {
    name: 'blocked: sendMessage in the direct chat',
    frame: (x) => ({ action: 'sendMessage', chatId: x.ab, text: 'hi', clientMessageId: 'c1' }),
    code: 'FORBIDDEN',
  },
  {
    name: 'blocked: invite into a group',
    frame: (x) => ({ action: 'invite', chatId: x.g, userIds: [x.bob] }),
    code: 'FORBIDDEN',
  },
  {
    name: 'blocked: invite into the direct chat',
    frame: (x) => ({ action: 'invite', chatId: x.ab, userIds: [x.carol] }),
    code: 'FORBIDDEN',
  },
  {
    name: 'blocked: createChat group',
    frame: (x) => ({ action: 'createChat', kind: 'group', name: 'n', memberIds: [x.carol, x.bob] }),
    code: 'FORBIDDEN',
  },
];

describe('hostile frames: blocking', () => {
  it('has a case for every field of the three actions and every blocked action', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(45);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it('still answers a good listBlocked afterwards', async () => {
    expect(await t.alice.ok('listBlocked', { limit: 1 })).toMatchObject({ userIds: ['someone'] });
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { reply } = await expectRefusedCleanly(
      {
        stack: t.stack,
        attacker: t.alice,
        everyone: [t.alice, t.bob, t.carol],
        state: () => tableSnapshot(t.stack, t.doc),
      },
      c,
      t.w,
    );
    // The blocked user's refusals never mention the block.
    if (c.code === 'FORBIDDEN') expect(String(reply.message)).not.toMatch(/block/i);
  });
});
