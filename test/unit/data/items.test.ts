/** Keys and item kinds: each kind declared once, written and read back through its codec. */
import { describe, expect, it } from 'vitest';
import { field, fromWireItem } from '../../../lambdas/data/item.ts';
import {
  CHAT,
  type ChatRecord,
  CLIENT_MESSAGE_CLAIM,
  CONNECTION,
  CONNECTION_TTL_SECONDS,
  DIRECT_PAIR,
  MEMBER,
  MESSAGE,
  type MemberRecord,
  type MessageRecord,
  PROFILE,
  slotOf,
  VOID,
} from '../../../lambdas/data/items.ts';
import {
  CLIENT_ID_INDEX,
  keys,
  MAX_SEQ,
  MEMBERSHIP_INDEX,
  seqSk,
  TTL_ATTRIBUTE,
  VERSION_INDEX,
  verSk,
} from '../../../lambdas/data/keys.ts';
import { TABLE } from '../../../lib/table.ts';

const chat: ChatRecord = {
  chatId: 'c1',
  kind: 'group',
  name: 'Team',
  ownerId: 'u1',
  lastSeq: 7,
  memberCount: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  lastActivityAt: '2026-01-02T00:00:00.000Z',
  lastVer: 12,
  memberVer: 3,
  lastAllocAt: 1_767_312_000_000,
  minSyncVer: 0,
};
const member: MemberRecord = {
  chatId: 'c1',
  userId: 'u2',
  role: 'member',
  lastReadSeq: 4,
  lastDeliveredSeq: 5,
  joinedAt: '2026-01-01T00:00:00.000Z',
  kind: 'direct',
  peerId: 'u1',
};
const message: MessageRecord = {
  chatId: 'c1',
  messageId: 'm7_abc',
  seq: 7,
  senderId: 'u1',
  text: 'hello',
  replyTo: null,
  clientMessageId: 'cm-1',
  createdAt: '2026-01-02T00:00:00.000Z',
  editedAt: null,
  deleted: false,
  ver: 11,
  allocAt: 1_767_312_000_000,
};

describe('keys', () => {
  it('pads message sort keys so that they sort by seq, up to MAX_SEQ', () => {
    expect(seqSk(7)).toBe('MSG#000000000007');
    expect(seqSk(MAX_SEQ)).toBe('MSG#999999999999');
    expect(MAX_SEQ).toBe(999_999_999_999);
    expect([seqSk(10), seqSk(9)].sort()).toEqual([seqSk(9), seqSk(10)]);
  });

  it('builds the same pair key whatever the order of the two users', () => {
    expect(keys.pair('bob', 'alice')).toEqual({ pk: 'PAIR#alice#bob', sk: 'PAIR' });
    expect(keys.pair('alice', 'bob')).toEqual(keys.pair('bob', 'alice'));
  });

  it('takes the index and TTL attribute names from lib/table.ts', () => {
    expect(MEMBERSHIP_INDEX).toBe(TABLE.globalSecondaryIndexes[0]);
    expect(VERSION_INDEX).toBe(TABLE.localSecondaryIndexes[0]);
    expect(CLIENT_ID_INDEX).toBe(TABLE.localSecondaryIndexes[1]);
    expect(TTL_ATTRIBUTE).toBe(TABLE.ttlAttribute);
  });

  it('pads version sort keys like seqs, so that they sort by version', () => {
    expect(verSk(11)).toBe('VER#000000000011');
    expect([verSk(10), verSk(9)].sort()).toEqual([verSk(9), verSk(10)]);
  });
});

describe('item kinds', () => {
  it('writes a chat as its META item and reads it back unchanged', () => {
    const item = CHAT.toItem(chat);
    expect(item).toEqual({ pk: 'CHAT#c1', sk: 'META', ...chat, itemType: 'chat' });
    expect(CHAT.fromItem(item)).toEqual(chat);
  });

  it('reads a chat head stored before versions as version 0, without voids or sent seqs', () => {
    const legacy = { chatId: 'c0', kind: 'group', ownerId: 'u1', lastSeq: 3, memberCount: 2 };
    expect(CHAT.fromItem(legacy)).toMatchObject({ lastVer: 0, memberVer: 0, lastAllocAt: 0, minSyncVer: 0 });
    expect(CHAT.fromItem(legacy)).not.toHaveProperty('voidSeqs');
    expect(CHAT.fromItem(legacy)).not.toHaveProperty('sentSeq');
  });

  it("reads a direct chat's voids as a set of numbers and its senders' seqs as a map", () => {
    const direct = CHAT.fromItem({
      ...CHAT.toItem(chat),
      voidSeqs: new Set([4, 6]),
      sentSeq: { u1: 7, u2: 5 },
    });
    expect(direct.voidSeqs).toEqual(new Set([4, 6]));
    expect(direct.sentSeq).toEqual({ u1: 7, u2: 5 });
  });

  it('gives a membership its index keys and keeps an optional peer optional', () => {
    const item = MEMBER.toItem(member);
    expect(item).toMatchObject({
      pk: 'CHAT#c1',
      sk: 'MEMBER#u2',
      [MEMBERSHIP_INDEX.partitionKey]: 'USER#u2',
      [MEMBERSHIP_INDEX.sortKey]: 'CHAT#c1',
      itemType: 'member',
    });
    expect(MEMBER.fromItem(item)).toEqual(member);
    const { peerId: _, ...groupMember } = member;
    expect(MEMBER.fromItem(MEMBER.toItem(groupMember))).not.toHaveProperty('peerId');
  });

  it('reads unknown roles and kinds as the least privileged value, and missing cursors as 0', () => {
    const read = MEMBER.fromItem({ chatId: 'c', userId: 'u', role: 'admin', kind: 'channel', joinedAt: 'x' });
    expect(read).toMatchObject({ role: 'member', kind: 'group', lastReadSeq: 0 });
  });

  it('stores a message with its nulls and reads `deleted` only as a real boolean', () => {
    const item = MESSAGE.toItem(message);
    expect(item).toMatchObject({ pk: 'CHAT#c1', sk: 'MSG#000000000007', replyTo: null, itemType: 'message' });
    expect(MESSAGE.fromItem(item)).toEqual(message);
    expect(MESSAGE.fromItem({ ...item, deleted: 'yes' }).deleted).toBe(false);
  });

  it('puts a message in the version index, and in the client-id index when it has a clientMessageId', () => {
    expect(MESSAGE.toItem(message)).toMatchObject({
      [VERSION_INDEX.sortKey]: 'VER#000000000011',
      [CLIENT_ID_INDEX.sortKey]: 'CMID#u1#cm-1',
    });
    expect(MESSAGE.toItem({ ...message, clientMessageId: null })).not.toHaveProperty(CLIENT_ID_INDEX.sortKey);
  });

  it('writes a void at the seq it fills, outside both indexes, and tells it from a message', () => {
    const item = VOID.toItem({ chatId: 'c1', seq: 8, void: true, allocAt: 5 });
    expect(item).toEqual({
      pk: 'CHAT#c1',
      sk: 'MSG#000000000008',
      chatId: 'c1',
      seq: 8,
      void: true,
      allocAt: 5,
      itemType: 'void',
    });
    expect(slotOf(item)).toEqual({ kind: 'void', seq: 8, allocAt: 5 });
    expect(slotOf(MESSAGE.toItem(message))).toEqual({ kind: 'message', message });
  });

  it('writes only declared fields, so stray properties never reach the table', () => {
    const item = CHAT.toItem({ ...chat, secret: 'x' } as ChatRecord);
    expect(item).not.toHaveProperty('secret');
  });

  it('expires a connection shortly after API Gateway closes it', () => {
    const connectedAt = '2026-01-01T00:00:00.000Z';
    const item = CONNECTION.toItem({ userId: 'u1', connectionId: 'k1', connectedAt });
    expect(item).toEqual({
      pk: 'USER#u1',
      sk: 'CONN#k1',
      userId: 'u1',
      connectionId: 'k1',
      connectedAt,
      [TTL_ATTRIBUTE]: Date.parse(connectedAt) / 1000 + CONNECTION_TTL_SECONDS,
      itemType: 'connection',
    });
  });

  it('keys a clientMessageId claim by chat, sender and id without storing them', () => {
    const claim = { chatId: 'c1', senderId: 'u1', clientMessageId: 'cm-1', claimedAt: 99, token: 't1' };
    const item = CLIENT_MESSAGE_CLAIM.toItem(claim);
    expect(item).toEqual({
      pk: 'CHAT#c1',
      sk: 'CMID#u1#cm-1',
      claimedAt: 99,
      token: 't1',
      itemType: 'clientMessage',
    });
    expect(CLIENT_MESSAGE_CLAIM.fromItem(item)).toEqual({ claimedAt: 99, token: 't1' });
  });

  it('points a pair at its direct chat', () => {
    const item = DIRECT_PAIR.toItem({ a: 'u2', b: 'u1', chatId: 'c9' });
    expect(item).toEqual({ pk: 'PAIR#u1#u2', sk: 'PAIR', chatId: 'c9', itemType: 'pair' });
  });

  it('reads a profile without a name as a null name', () => {
    expect(PROFILE.fromItem({ userId: 'u1', lastSeenAt: 'x' })).toEqual({
      userId: 'u1',
      name: null,
      lastSeenAt: 'x',
    });
  });
});

describe('field readers and wire items', () => {
  it('reads the attributes of a refused write: scalars, number sets, maps and lists', () => {
    const wire = { s: { S: 'a' }, n: { N: '12' }, b: { BOOL: true }, z: { NULL: true }, l: { L: [] } };
    expect(fromWireItem(wire)).toEqual({ s: 'a', n: 12, b: true, z: null, l: [] });
    // Lists of maps (a message's attachments and reactions) read back whole.
    expect(fromWireItem({ r: { L: [{ M: { emoji: { S: '👍' }, count: { N: '2' } } }] } })).toEqual({
      r: [{ emoji: '👍', count: 2 }],
    });
    expect(fromWireItem({ v: { NS: ['3', '5'] }, m: { M: { u1: { N: '4' } } } })).toEqual({
      v: new Set([3, 5]),
      m: { u1: 4 },
    });
    expect(fromWireItem(undefined)).toBeUndefined();
  });

  it('reads one of a set of values, else the fallback', () => {
    const color = field.oneOf(['red', 'blue'], 'red');
    expect(color('blue')).toBe('blue');
    expect(color('green')).toBe('red');
    expect(color(undefined)).toBe('red');
  });
});
