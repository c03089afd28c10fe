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
} from '../../../lambdas/data/items.ts';
import { keys, MAX_SEQ, MEMBERSHIP_INDEX, seqSk, TTL_ATTRIBUTE } from '../../../lambdas/data/keys.ts';
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
};
const member: MemberRecord = {
  chatId: 'c1',
  userId: 'u2',
  role: 'member',
  lastReadSeq: 4,
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
    expect(TTL_ATTRIBUTE).toBe(TABLE.ttlAttribute);
  });
});

describe('item kinds', () => {
  it('writes a chat as its META item and reads it back unchanged', () => {
    const item = CHAT.toItem(chat);
    expect(item).toEqual({ pk: 'CHAT#c1', sk: 'META', ...chat, itemType: 'chat' });
    expect(CHAT.fromItem(item)).toEqual(chat);
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
    const claim = { chatId: 'c1', senderId: 'u1', clientMessageId: 'cm-1', seq: 7, messageId: 'm7_abc' };
    const item = CLIENT_MESSAGE_CLAIM.toItem(claim);
    expect(item).toEqual({
      pk: 'CHAT#c1',
      sk: 'CMID#u1#cm-1',
      seq: 7,
      messageId: 'm7_abc',
      itemType: 'clientMessage',
    });
    expect(CLIENT_MESSAGE_CLAIM.fromItem(item)).toEqual({ seq: 7, messageId: 'm7_abc' });
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
  it('reads the scalar attributes of a refused write', () => {
    const wire = { s: { S: 'a' }, n: { N: '12' }, b: { BOOL: true }, z: { NULL: true }, l: { L: [] } };
    expect(fromWireItem(wire)).toEqual({ s: 'a', n: 12, b: true, z: null });
    expect(fromWireItem(undefined)).toBeUndefined();
  });

  it('reads one of a set of values, else the fallback', () => {
    const color = field.oneOf(['red', 'blue'], 'red');
    expect(color('blue')).toBe('blue');
    expect(color('green')).toBe('red');
    expect(color(undefined)).toBe('red');
  });
});
