/**
 * A chat at or near DynamoDB's 10 GB limit on a partition's items and local-index entries, through
 * the real gateway and DynamoDB Local (docs/data-model.md, "Size of a chat"). DynamoDB Local never
 * answers the size estimate a put asks for, nor ever fills a partition: the estimate is injected
 * into the answer of the handlers' client (the light transport's output), and the refusal in front
 * of it, shaped as the light transport shapes DynamoDB's errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_FULL_MESSAGE } from '../../lambdas/shared/errors.ts';
import { type MetricValues, onMetrics } from '../../lambdas/shared/metrics.ts';
import { connectUsers, expectRefused, makeDirect, sendText, type UserSocket } from '../support/chat.ts';
import { collectionFull } from '../support/full-chat.ts';
import { interceptHandlerClient } from '../support/handler-client.ts';
import { useTestStack } from '../support/stack.ts';

const stack = useTestStack();
/** The chat whose writes are refused as full, while set. */
let fullChat: string | undefined;
/** The size estimate added to the answers of message puts, while set. */
let estimate: number[] | undefined;
/** What the message puts asked and what DynamoDB Local answered them. */
const puts: { input: Record<string, unknown>; output: Record<string, unknown> }[] = [];

const GROWING = ['PutItemCommand', 'UpdateItemCommand', 'TransactWriteItemsCommand', 'BatchWriteItemCommand'];
let handlers: ReturnType<typeof interceptHandlerClient> | undefined;
const emitted: MetricValues[] = [];
const stop = onMetrics((values) => emitted.push(values));
const count = (name: keyof MetricValues) => emitted.reduce((n, v) => n + (v[name] ?? 0), 0);

let alice: UserSocket;
let bob: UserSocket;
let chatId: string;

beforeAll(async () => {
  handlers = interceptHandlerClient(stack.dynamoEndpoint, (command, input) => {
    // A write into the full chat that would grow it (a message's update; a head's does not).
    const grows = command !== 'UpdateItemCommand' || input.includes('"sk":"MSG#');
    if (fullChat && GROWING.includes(command) && input.includes(fullChat) && grows)
      throw collectionFull(command);
  });
  handlers.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as Record<string, unknown>;
      const input = args.input as Record<string, unknown>;
      const item = input.Item as { sk?: string } | undefined;
      if (context.commandName === 'PutItemCommand' && item?.sk?.startsWith('MSG#')) {
        puts.push({ input, output });
        if (estimate) {
          output.ItemCollectionMetrics = {
            ItemCollectionKey: { pk: (input.Item as { pk: string }).pk },
            SizeEstimateRangeGB: estimate,
          };
        }
      }
      return result;
    },
    { step: 'initialize', name: 'chatSize' },
  );
  [alice, bob] = (await connectUsers(stack, 2, 'full')) as [UserSocket, UserSocket];
  chatId = (await makeDirect(alice, bob.userId)).chatId;
});
afterAll(async () => {
  stop();
  await Promise.all([alice, bob].map((s) => s?.close()));
  handlers?.restore();
});

describe('a chat near its storage limit', () => {
  it('asks the size with every message put (DynamoDB accepts it), and warns once it is 8 GB or more', async () => {
    puts.length = 0;
    await sendText(alice, chatId, 'small chat');
    expect(puts).toHaveLength(1);
    expect(puts[0]?.input.ReturnItemCollectionMetrics).toBe('SIZE');
    expect(puts[0]?.output.ItemCollectionMetrics).toBeUndefined(); // DynamoDB Local answers none
    expect(count('ChatStorageNearFull')).toBe(0);

    estimate = [7, 7.9];
    await sendText(alice, chatId, 'still fine');
    expect(count('ChatStorageNearFull')).toBe(0);
    estimate = [7.9, 8.1];
    await sendText(bob, chatId, 'getting full');
    estimate = undefined;
    expect(count('ChatStorageNearFull')).toBe(1);
  });
});

/** The chat's items but its head (`META`), whose counters a refused write may have moved. */
const itemsBelowHead = async () => (await stack.items(`CHAT#${chatId}`)).filter((i) => i.sk !== 'META');

/**
 * A request into the full chat: FORBIDDEN with the sentence, nothing written but the head's counters
 * (a seq or version allocated before the refused write: readers skip it), the socket still usable.
 */
async function refusedFull(socket: UserSocket, action: string, fields: Record<string, unknown>) {
  const before = await itemsBelowHead();
  const reply = await socket.request(action, fields);
  expect(reply).toEqual({
    type: 'error',
    action,
    requestId: expect.any(String),
    code: 'FORBIDDEN',
    message: CHAT_FULL_MESSAGE,
  });
  await stack.gateway.idle();
  expect(await itemsBelowHead()).toEqual(before);
  expect((await socket.request('ping')).type).toBe('pong');
}

describe('a full chat', () => {
  it('refuses sends, reactions and edits FORBIDDEN with its sentence, writes nothing, counts no INTERNAL', async () => {
    const kept = await sendText(alice, chatId, 'before it filled');
    const internal = count('InternalErrors');
    fullChat = chatId;
    try {
      // The clientMessageId's claim is the send's first write: refused, nothing written at all.
      await expectRefused(
        stack,
        alice,
        'sendMessage',
        { chatId, text: 'one more', clientMessageId: 'c-full-1' },
        'FORBIDDEN',
        { message: /storage limit/ },
      );
      // Without one, the message put is refused (after its seq's allocation).
      await refusedFull(alice, 'sendMessage', { chatId, text: 'and one more' });
      const ref = { chatId, messageId: kept.messageId };
      await refusedFull(bob, 'react', { ...ref, emoji: '👍' });
      await refusedFull(alice, 'editMessage', { ...ref, text: 'a longer text than it was' });
      expect(count('InternalErrors')).toBe(internal);
    } finally {
      fullChat = undefined;
    }
    // The chat reads as before, and takes messages again once it has room.
    const chat = await alice.ok('history', { chatId });
    expect((chat.messages as { text: string }[]).map((m) => m.text)).toContain('before it filled');
    await sendText(bob, chatId, 'room again');
  });
});
