/**
 * A big group is created in steps under its pending key (the members in batches, then `META`); once
 * the claim's deadline passes, a repeat may take the key over and complete the group, and members
 * may then leave. The first creator's own writes must end at that deadline: a batch of it that is
 * only sent later (a slow container, a held request) would put back the membership of someone who
 * left. The hold is injected into the handlers' DynamoDB client (they run in this process), with a
 * claim deadline of 2 s instead of 9 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setWriteTiming } from '../../lambdas/domain/timing.ts';
import { anotherSocket, type Chat, connectUser, getChat } from '../support/chat.ts';
import { interceptHandlerClient } from '../support/handler-client.ts';
import { startTestStack, type TestStack, uniqueId } from '../support/stack.ts';

let stack: TestStack;
let handlers: ReturnType<typeof interceptHandlerClient> | undefined;
/** The first batch write that mentions this is held until `release` is called. */
let holdFor: string | undefined;
let held: () => void = () => undefined;
let release: () => void = () => undefined;
const heldNow = new Promise<void>((resolve) => {
  held = resolve;
});
const released = new Promise<void>((resolve) => {
  release = resolve;
});

beforeAll(async () => {
  setWriteTiming({ claimDeadlineMs: 2000, skewMarginMs: 250 });
  stack = await startTestStack();
  handlers = interceptHandlerClient(stack.dynamoEndpoint, async (command, input) => {
    if (holdFor && command === 'BatchWriteItemCommand' && input.includes(holdFor)) {
      holdFor = undefined;
      held();
      await released;
    }
  });
});
afterAll(async () => {
  release();
  handlers?.restore();
  setWriteTiming(undefined);
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a big group completed by a takeover', () => {
  it('is not written to by its first creator after the claim deadline', async () => {
    const owner = await connectUser(stack);
    const owner2 = await anotherSocket(stack, owner);
    const others = Array.from({ length: 120 }, (_, i) => uniqueId(`dl${i}`));
    const [leaver] = others as [string];
    const fields = { kind: 'group', name: 'Late', memberIds: others, clientChatId: uniqueId('k') };

    holdFor = `MEMBER#${leaver}`;
    const first = owner.request('createChat', fields);
    await heldNow; // the claim is made, the batch with the leaver's membership is held
    const takeover = await owner2.ok('createChat', fields);
    expect(takeover.created).toBe(true);
    const chat = takeover.chat as Chat;
    await owner.ok('removeMember', { chatId: chat.chatId, userId: leaver });

    release();
    const answer = await first;
    await sleep(300);
    const memberships = (await stack.items(`CHAT#${chat.chatId}`)).filter((i) =>
      String(i.sk).startsWith('MEMBER#'),
    );
    expect(memberships.map((i) => String(i.sk))).not.toContain(`MEMBER#${leaver}`);
    expect(memberships).toHaveLength(120);
    expect((await getChat(owner, chat.chatId)).memberCount).toBe(120);
    // Its writes were aborted at the deadline: it failed, and nothing more of it landed.
    expect(answer).toMatchObject({ type: 'error', code: 'INTERNAL' });
  });
});
