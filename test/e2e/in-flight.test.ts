/**
 * Writes in flight: a seq (or version) is allocated before its write lands. Readers never skip one:
 * `history` waits for an in-flight message instead of returning the page without it, and `sync`'s
 * cursor stays below an in-flight edit. A writer that stalls past its deadline loses its seq to a
 * void and takes the next one: nothing is lost, nothing counted twice. The stalls are injected into
 * the handlers' DynamoDB client (they run in this process); the deadlines are shortened.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lightDynamo } from '../../lambdas/data/light-dynamo.ts';
import { setStore } from '../../lambdas/data/store.ts';
import { setDeps } from '../../lambdas/domain/deps.ts';
import { setWriteTiming, writeTiming } from '../../lambdas/domain/timing.ts';
import { setClients } from '../../lambdas/shared/clients.ts';
import {
  aboutMessage,
  connectUser,
  eventsOf,
  type Message,
  makeGroup,
  sendText,
  settle,
  summaryOf,
} from '../support/chat.ts';
import { deferred, sleep } from '../support/client.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import { emptyView, fullHistory, heldMessages, syncSettled } from '../support/sync.ts';

let stack: TestStack;
let doc: DynamoDBDocumentClient;

interface Hook {
  readonly command: string;
  readonly markers: readonly string[];
  /** Holds the request until this settles (undefined: lets it pass). */
  readonly hold: Promise<unknown> | undefined;
  readonly seen: () => void;
  /** Called once the request has been answered. */
  readonly answered?: () => void;
}
const hooks: Hook[] = [];

function hook(command: string, markers: readonly string[], hold?: Promise<unknown>): Promise<void> {
  return new Promise((seen) => hooks.push({ command, markers, hold, seen }));
}
/** Resolves once the next `command` whose input mentions every marker has been answered. */
function answered(command: string, markers: readonly string[]): Promise<void> {
  return new Promise((done) =>
    hooks.push({ command, markers, hold: undefined, seen: () => {}, answered: done }),
  );
}
/** Holds the next `command` whose input mentions `marker` for `ms` (or until `hold` settles); resolves when it is held. */
function stallNext(command: string, marker: string, hold: number | Promise<unknown>): Promise<void> {
  return hook(command, [marker], typeof hold === 'number' ? sleep(hold) : hold);
}

beforeAll(async () => {
  setWriteTiming({ allocTimeoutMs: 3000, writeDeadlineMs: 3000, skewMarginMs: 250, claimDeadlineMs: 9000 });
  stack = await startTestStack();
  // The handlers' own transport (the light data commands), with the hooks before it.
  doc = lightDynamo(
    DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint, maxAttempts: 3 }), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
  );
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = JSON.stringify(args.input);
      const i = hooks.findIndex(
        (h) => context.commandName === h.command && h.markers.every((m) => input.includes(m)),
      );
      const matched = i >= 0 ? hooks.splice(i, 1)[0] : undefined;
      if (matched) {
        matched.seen();
        await matched.hold;
      }
      const result = await next(args);
      matched?.answered?.();
      return result;
    },
    { step: 'initialize', name: 'hooks' },
  );
  setClients({ documentClient: doc });
  setStore(undefined);
  setDeps(undefined);
});
afterAll(async () => {
  setClients({ documentClient: undefined });
  setStore(undefined);
  setDeps(undefined);
  setWriteTiming(undefined);
  doc?.destroy();
  await stack?.stop();
});

describe('a message in flight', () => {
  it('is waited for by history, not skipped: the page that has the seq above it has it too', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Slow put');
    const first = await sendText(ann, chat.chatId, 'first');

    // ann's put is held (within its deadline) after her seq was allocated; bob's lands above it.
    const held = stallNext('PutItemCommand', 'slow but in time', writeTiming().writeDeadlineMs / 3);
    const slow = ann.ok('sendMessage', {
      chatId: chat.chatId,
      text: 'slow but in time',
      clientMessageId: 'slow-1',
    });
    await held;
    const fast = await sendText(bob, chat.chatId, 'fast');
    expect(fast.seq).toBe(first.seq + 2);

    // A client holding `first` catches up now: it must get the slow one too, in its place.
    const page = await bob.ok('history', { chatId: chat.chatId, after: first.seq });
    const slowMessage = (await slow).message as Message;
    expect(slowMessage.seq).toBe(first.seq + 1);
    expect((page.messages as Message[]).map((m) => m.text)).toEqual(['slow but in time', 'fast']);
  });

  it('misses its deadline: its seq becomes a void, it is stored at a later seq, nothing lost or counted twice', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const cat = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId, cat.userId], 'Stalled put');
    const first = await sendText(ann, chat.chatId, 'first');

    const held = stallNext('PutItemCommand', 'stalled', writeTiming().writeDeadlineMs + 500);
    const stalled = ann.request(
      'sendMessage',
      { chatId: chat.chatId, text: 'stalled', clientMessageId: 'cm-x1' },
      20_000,
    );
    await held;
    const after = await sendText(bob, chat.chatId, 'after the stall');
    expect(after.seq).toBe(first.seq + 2);
    // A reader meets the empty seq: it waits, and once settled it is a void (filled by the writer
    // when its put was aborted, or by this reader): the page never shows it.
    const page = await cat.ok('history', { chatId: chat.chatId, after: first.seq });
    const texts = (page.messages as Message[]).map((m) => m.text);
    expect(texts.filter((t) => t !== 'stalled')).toEqual(['after the stall']); // (stored again by now, or not yet)

    const ack = await stalled;
    expect(ack).toMatchObject({ type: 'ack', duplicate: false, message: { text: 'stalled' } });
    const stored = ack.message as Message;
    expect(stored.seq).toBeGreaterThan(after.seq);

    const history = await fullHistory(cat, chat.chatId);
    expect(history.map((m) => m.text)).toEqual(['first', 'after the stall', 'stalled']);
    const items = await stack.items(`CHAT#${chat.chatId}`);
    const voids = items.filter((i) => i.void === true).map((i) => Number(i.seq));
    expect(voids).toEqual([first.seq + 1]);
    expect((items.find((i) => i.sk === 'META') as { voidSeqs?: Set<number> }).voidSeqs).toEqual(
      new Set(voids),
    );
    // Exactly once: the retry of the same clientMessageId is the stored one.
    const again = await ann.ok('sendMessage', {
      chatId: chat.chatId,
      text: 'stalled',
      clientMessageId: 'cm-x1',
    });
    expect(again).toMatchObject({ duplicate: true, message: stored });
    // No phantom unread: cat has read nothing and exactly three messages count.
    expect(await summaryOf(cat, chat.chatId)).toMatchObject({ lastSeq: stored.seq, unreadCount: 3 });
  });
});

describe('a socket that opens while a message is in flight', () => {
  // sendMessage looks the sockets up beside its put (lambdas/domain/send.ts): a socket listed after
  // that lookup gets no live event, so its catch-up must find the message.
  async function openWhileInFlight(text: string) {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Opens mid-send');
    const before = await sendText(ann, chat.chatId, 'before');
    const view = emptyView(chat.chatId);
    await syncSettled(bob, view);
    await bob.close();
    await settle(stack, ann);

    const { promise: gate, resolve: release } = deferred();
    const held = stallNext('PutItemCommand', text, gate);
    const lookedUp = answered('QueryCommand', [`ROSTER#${chat.chatId}`]);
    const sending = ann.ok('sendMessage', { chatId: chat.chatId, text });
    await held; // allocated, its put held
    await lookedUp; // the lookup beside the put found no socket of bob's
    const bobAgain = await connectUser(stack, bob.userId);
    const summary = await summaryOf(bobAgain, chat.chatId);
    return { chat, before, view, bobAgain, summary, release, sending };
  }

  it('is told by listChats that the message is due, and its sync brings it once it has landed', async () => {
    const text = 'while bob reconnects';
    const { chat, view, bobAgain, summary, release, sending } = await openWhileInFlight(text);
    const during = await bobAgain.ok('sync', { chatId: chat.chatId, sinceVer: view.ver });
    expect((during.messages as Message[]).map((m) => m.text)).toEqual([]);
    expect(during.lastVer as number).toBeLessThan(summary?.lastVer as number); // the message is due

    release();
    const sent = (await sending).message as Message;
    expect(sent.ver).toBe(summary?.lastVer);
    await settle(stack, bobAgain);
    expect(eventsOf(bobAgain, 'message.created', aboutMessage(sent.messageId))).toEqual([]);

    view.ver = during.lastVer as number;
    await syncSettled(bobAgain, view);
    expect(view.messages.get(sent.messageId)).toMatchObject({ text });
    expect(view.ver).toBeGreaterThanOrEqual(sent.ver);
  });

  it('gets it from history after the last seq it holds (the v1 catch-up): the page waits for it', async () => {
    const text = 'while bob reconnects (v1)';
    const { chat, before, bobAgain, summary, release, sending } = await openWhileInFlight(text);
    expect(summary?.lastSeq).toBe(before.seq + 1); // listChats names the seq in flight
    const page = bobAgain.ok('history', { chatId: chat.chatId, after: before.seq });
    await sleep(200);
    release();
    const sent = (await sending).message as Message;
    expect((await page).messages as Message[]).toEqual([
      expect.objectContaining({ messageId: sent.messageId, text }),
    ]);
    await settle(stack, bobAgain);
    expect(eventsOf(bobAgain, 'message.created', aboutMessage(sent.messageId))).toEqual([]);
  });
});

describe('an edit in flight', () => {
  it('keeps the sync cursor below its version until it has landed, so it is never missed', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Slow edit');
    const target = await sendText(ann, chat.chatId, 'draft');
    const view = emptyView(chat.chatId);
    await syncSettled(bob, view);
    const before = view.ver;

    const held = stallNext('UpdateItemCommand', 'final text', writeTiming().writeDeadlineMs / 2);
    const editing = ann.ok('editMessage', {
      chatId: chat.chatId,
      messageId: target.messageId,
      text: 'final text',
    });
    await held; // its version is allocated, its write not landed
    await sendText(ann, chat.chatId, 'meanwhile'); // a newer version lands above it
    const during = await bob.ok('sync', { chatId: chat.chatId, sinceVer: before });
    const edited = (await editing).message as Message;
    expect(edited.ver).toBeGreaterThan(before);
    expect(during.lastVer as number).toBeLessThan(edited.ver);

    // Syncing on from the cursor it was given, the client ends with the edit.
    view.ver = during.lastVer as number;
    await syncSettled(bob, view);
    expect(view.messages.get(target.messageId)).toMatchObject({ text: 'final text', ver: edited.ver });
    expect(heldMessages(view)).toEqual(await fullHistory(bob, chat.chatId));
  });
});

describe('a send whose chat is deleted while its seq is being allocated', () => {
  it('stores nothing, answers NOT_FOUND and gives its clientMessageId claim back', async () => {
    const ann = await connectUser(stack);
    const bob = await connectUser(stack);
    const chat = await makeGroup(ann, [bob.userId], 'Gone mid-send');
    const { promise: gate, resolve: release } = deferred();
    // The allocation is the UpdateItem of the chat head that raises lastSeq.
    const held = hook('UpdateItemCommand', [chat.chatId, 'lastSeq'], gate);
    const sending = bob.request(
      'sendMessage',
      { chatId: chat.chatId, text: 'too late', clientMessageId: 'cm-gone' },
      20_000,
    );
    await held; // the claim is made, the allocation not yet sent
    await ann.ok('deleteChat', { chatId: chat.chatId });
    release();
    expect(await sending).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    expect(await stack.items(`CHAT#${chat.chatId}`)).toEqual([]);
  });
});
