/**
 * The harness of the hostile-frame suites (test/fault/hostile-frames*.test.ts): send one frame as
 * the attacker, expect the error frame (code, action, requestId, a message that leaks nothing), then
 * expect that nothing changed (whatever `state` reads: the table, the media bucket …), that nobody
 * got an event, and that the attacker's socket still answers.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { settle, type UserSocket } from '../../support/chat.ts';
import type { Frame } from '../../support/client.ts';
import { storedKeys, tagsOf } from '../../support/media.ts';
import type { TestStack } from '../../support/stack.ts';

/** A raw frame (a string), or an object to JSON-encode. */
export type FrameSpec = string | Record<string, unknown>;

/** A hostile frame and the error it must get. */
export interface HostileCase<W> {
  readonly name: string;
  /**
   * A raw string is sent as is (a `"RID"` in it is made a unique requestId); an object gets a
   * requestId (unless it has one) and is JSON-encoded.
   */
  readonly frame: (w: W) => FrameSpec;
  readonly code: string;
  /** The action the error frame must name (default: the frame object's action; raw strings: unchecked). */
  readonly action?: string | null;
  /** What the error's message must say (it names the field for BAD_REQUEST). */
  readonly says?: RegExp;
}

/**
 * The whole table, read consistently in one Scan (test code: the table belongs to the file, so it
 * is small), in a stable order — a write anywhere, even to a partition nobody knew of, shows.
 */
export async function wholeTable(
  stack: TestStack,
  doc: DynamoDBDocumentClient,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(
      new ScanCommand({ TableName: stack.tableName, ConsistentRead: true, ExclusiveStartKey }),
    );
    items.push(...(out.Items ?? []));
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items.sort((a, b) => (`${a.pk}|${a.sk}` < `${b.pk}|${b.sk}` ? -1 : 1));
}

/**
 * The whole table but the per-user limiter's windows (`LIMIT#<user>`): it counts every frame,
 * refused or not, before it is validated, by design (docs/security.md,
 * test/security/read-limits.test.ts).
 */
export async function tableSnapshot(
  stack: TestStack,
  doc: DynamoDBDocumentClient,
): Promise<Record<string, unknown>[]> {
  return (await wholeTable(stack, doc)).filter((i) => !String(i.pk).startsWith('LIMIT#'));
}

/** Every object of the media bucket with its tags. */
export async function bucketSnapshot(stack: TestStack, s3: S3Client): Promise<string[]> {
  const keys = await storedKeys(stack, s3);
  return Promise.all(
    keys.map(async (key) => {
      const [, chatId = '', uploadId = ''] = key.split('/');
      return `${key} ${(await tagsOf(stack, s3, chatId, uploadId)).join(',')}`;
    }),
  );
}

let counter = 0;

/** Sends a frame and waits for its reply (the first ack or error after it, or the one with its requestId). */
export async function exchange(
  socket: UserSocket,
  spec: FrameSpec,
): Promise<{ reply: Frame; requestId: string | null }> {
  const from = socket.frames.length;
  let raw: string;
  let requestId: string | null;
  if (typeof spec === 'string') {
    if (spec.includes('"RID"')) {
      requestId = `hostile-${++counter}`;
      raw = spec.replace('"RID"', `"${requestId}"`);
    } else {
      requestId = /"requestId":"([^"]+)"/.exec(spec)?.[1] ?? null;
      raw = spec;
    }
    socket.sendRaw(raw);
  } else {
    requestId = 'requestId' in spec ? null : `hostile-${++counter}`;
    socket.send(requestId ? { ...spec, requestId } : spec);
  }
  const reply = await socket.waitFor(
    (f) =>
      socket.frames.indexOf(f) >= from &&
      (f.type === 'error' || f.type === 'ack') &&
      (requestId === null || f.requestId === requestId),
    10_000,
    'reply to a hostile frame',
  );
  return { reply, requestId };
}

export interface Hostility {
  readonly stack: TestStack;
  /** Sends the frames. */
  readonly attacker: UserSocket;
  /** Every socket of the file (the attacker too): none may get an event. */
  readonly everyone: readonly UserSocket[];
  /** Everything a frame could have written: equal before and after. */
  readonly state: () => Promise<unknown>;
  /** Waits for work a frame may have started elsewhere (queues) before the state is compared. */
  readonly idle?: () => Promise<void>;
}

/** Runs one case (see the module comment); the state before and after, for further checks. */
export async function expectRefusedCleanly<W>(
  h: Hostility,
  c: HostileCase<W>,
  w: W,
): Promise<{ reply: Frame; before: unknown; after: unknown }> {
  const before = await h.state();
  const marks = h.everyone.map((s) => s.frames.length);
  const spec = c.frame(w);
  const { reply, requestId } = await exchange(h.attacker, spec);
  expect(reply).toMatchObject({ type: 'error', code: c.code });
  expect(typeof reply.message).toBe('string');
  // No internals leak into the message.
  expect(String(reply.message)).not.toMatch(/at .*\.ts:\d+|Exception|stack|S3 /i);
  if (c.says) expect(String(reply.message)).toMatch(c.says);
  if (requestId !== null) expect(reply.requestId).toBe(requestId);
  if (c.action !== undefined) expect(reply.action).toBe(c.action);
  else if (typeof spec === 'object' && typeof spec.action === 'string')
    expect(reply.action).toBe(spec.action);
  await h.idle?.();
  await settle(h.stack, ...h.everyone);
  const after = await h.state();
  expect(after).toEqual(before);
  // Nobody got an event out of it.
  h.everyone.forEach((s, i) => {
    const events = s.frames.slice(marks[i]).filter((f) => !['ack', 'error', 'pong'].includes(String(f.type)));
    expect(events).toEqual([]);
  });
  // settle() has just pinged every socket: the attacker's answered after the hostile frame.
  expect(h.attacker.frames.at(-1)).toMatchObject({ type: 'pong' });
  expect(h.attacker.isOpen).toBe(true);
  return { reply, before, after };
}
