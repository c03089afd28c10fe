/**
 * A file's own stack with three connected users (alice, bob, carol) and a document client on its
 * table: the fixture of the hostile-frame suites (test/fault/hostile-frames-*.test.ts). `useTrio`
 * registers the hooks: it starts the stack, connects the users, lets `build` make the file's world
 * (chats, messages, …), settles every socket, and closes it all after the file.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { connectUsers, settle, type UserSocket } from './chat.ts';
import { standIn, startTestStack, type TestStack } from './stack.ts';

export interface Trio {
  readonly stack: TestStack;
  readonly doc: DynamoDBDocumentClient;
  readonly alice: UserSocket;
  readonly bob: UserSocket;
  readonly carol: UserSocket;
}

/** The trio and the world `build` made; read it in hooks and tests only. */
export interface TrioWorld<W> extends Trio {
  readonly w: W;
}

/** The users get unique ids starting with `prefix` (connectUsers). */
export function useTrio<W>(prefix: string, build: (t: Trio) => Promise<W>): TrioWorld<W> {
  let stack: TestStack | undefined;
  let doc: DynamoDBDocumentClient | undefined;
  let users: UserSocket[] = [];
  let current: TrioWorld<W> | undefined;
  beforeAll(async () => {
    stack = await startTestStack();
    doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
    users = await connectUsers(stack, 3, prefix);
    const [alice, bob, carol] = users as [UserSocket, UserSocket, UserSocket];
    const trio = { stack, doc, alice, bob, carol };
    const w = await build(trio);
    await settle(stack, alice, bob, carol);
    current = { ...trio, w };
  });
  afterAll(async () => {
    await Promise.all(users.map((s) => s.close()));
    doc?.destroy();
    await stack?.stop();
    current = undefined;
  });
  return standIn(() => current, 'The trio is not ready: use it in a hook or a test.');
}
