/**
 * The write path (lambdas/domain/send.ts) writes three kinds of item under a chat: the message at
 * `MSG#<seq>`, a void at a seq a writer gave up (also `MSG#<seq>`), and a clientMessageId claim. Only
 * the first INSERT of a message is a `message.created`: the shared pattern (the push consumer's filter
 * criteria on AWS, the local poller's filter, the handler's guard) must match that and nothing else.
 */
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { Item } from '../../../lambdas/data/item.ts';
import { CLIENT_MESSAGE_CLAIM, MESSAGE, VOID } from '../../../lambdas/data/items.ts';
import { matchesFilter } from '../../../lambdas/pipeline/filter.ts';
import { MESSAGE_CREATED } from '../../../lambdas/pipeline/patterns.ts';

/** A value in a stream record's wire form (the kinds of value these items hold). */
function wireValue(name: string, value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) return { L: value.map((v) => wireValue(name, v)) };
  if (typeof value === 'object') return { M: wire(value as Item) };
  throw new Error(`no wire form here for ${name}`);
}

/** An item in a stream record's wire form. */
function wire(item: Item): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(item))
    if (value !== undefined) out[name] = wireValue(name, value);
  return out;
}

function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', item: Item, old?: Item): DynamoDBRecord {
  return {
    eventName,
    dynamodb: {
      Keys: { pk: { S: String(item.pk) }, sk: { S: String(item.sk) } },
      ...(eventName === 'REMOVE' ? {} : { NewImage: wire(item) }),
      ...(old ? { OldImage: wire(old) } : {}),
      SequenceNumber: '1',
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

const message = MESSAGE.toItem({
  chatId: 'c1',
  messageId: 'm_1',
  seq: 3,
  senderId: 'alice',
  text: 'hi',
  replyTo: null,
  clientMessageId: 'cm-1',
  createdAt: '2026-01-01T00:00:00.000Z',
  editedAt: null,
  deleted: false,
  ver: 7,
  allocAt: 1_767_225_600_000,
});
const voided = VOID.toItem({ chatId: 'c1', seq: 2, void: true, allocAt: 1_767_225_600_000 });
const claim = CLIENT_MESSAGE_CLAIM.toItem({
  chatId: 'c1',
  senderId: 'alice',
  clientMessageId: 'cm-1',
  claimedAt: 1_767_225_600_000,
  token: 't',
});

describe('MESSAGE_CREATED on the write path’s items', () => {
  it('matches the INSERT of a message', () => {
    expect(matchesFilter(MESSAGE_CREATED, record('INSERT', message))).toBe(true);
  });

  it('matches no void and no clientMessageId claim, written or removed', () => {
    expect(voided.sk).toMatch(/^MSG#/); // the same key space as messages
    for (const item of [voided, claim]) {
      expect(matchesFilter(MESSAGE_CREATED, record('INSERT', item))).toBe(false);
      expect(matchesFilter(MESSAGE_CREATED, record('REMOVE', item, item))).toBe(false);
    }
  });

  it('matches no later change of a message: edits, deletions, new versions', () => {
    const edited = { ...message, text: 'hello', ver: 8 };
    const deleted = { ...message, text: '', deleted: true, ver: 9 };
    expect(matchesFilter(MESSAGE_CREATED, record('MODIFY', edited, message))).toBe(false);
    expect(matchesFilter(MESSAGE_CREATED, record('MODIFY', deleted, edited))).toBe(false);
    expect(matchesFilter(MESSAGE_CREATED, record('REMOVE', message, message))).toBe(false);
  });
});
