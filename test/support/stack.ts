/** Test helpers: a local stack per test file on the shared DynamoDB Local, tokens, table peeks. */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, inject } from 'vitest';
import type { ExecutionLogEntry } from '../../local/gateway.ts';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.ts';
import { type DevTokenOptions, devToken } from '../../local/token.ts';

export interface TestStack extends LocalStack {
  /** Every item of a partition (for asserting what was written). */
  items(pk: string): Promise<Record<string, unknown>[]>;
  token(userId: string, options?: DevTokenOptions): Promise<string>;
  /** ws URL with a fresh token for `userId`. */
  urlFor(userId: string, options?: DevTokenOptions): Promise<string>;
  /** The gateway's execution log (for example route responses too large to deliver). */
  readonly executionLog: ExecutionLogEntry[];
}

export function uniqueId(prefix = 'u'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export async function startTestStack(options: LocalStackOptions = {}): Promise<TestStack> {
  const executionLog: ExecutionLogEntry[] = [];
  const stack = await startLocalStack({
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tableName: `test-${randomBytes(4).toString('hex')}`,
    onExecutionLog: (entry) => {
      executionLog.push(entry);
      process.stderr.write(`local gateway: ${entry.level} ${entry.routeKey}: ${entry.message}\n`);
    },
    // The event pipeline (stream poller, push stand-ins) only where a suite asks for it.
    pipeline: false,
    ...options,
  });
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: stack.dynamoEndpoint }));
  const tokenDefaults: DevTokenOptions = {
    ...(options.env?.JWT_ISSUER ? { issuer: options.env.JWT_ISSUER } : {}),
    ...(options.env?.JWT_AUDIENCE ? { audience: options.env.JWT_AUDIENCE } : {}),
  };
  return {
    ...stack,
    executionLog,
    async items(pk) {
      const out = await doc.send(
        new QueryCommand({
          TableName: stack.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
        }),
      );
      return out.Items ?? [];
    },
    token: (userId, opts) => devToken(userId, { ...tokenDefaults, ...opts }),
    async urlFor(userId, opts) {
      return `${stack.url}/?token=${await devToken(userId, { ...tokenDefaults, ...opts })}`;
    },
    async stop() {
      doc.destroy();
      await stack.stop();
    },
  };
}

/**
 * Route timeouts (`timeoutSeconds`) for test files that create groups of about 1,000 members in one
 * request: on AWS a few hundred milliseconds (parallel BatchWrites), on DynamoDB Local under a whole
 * suite's load it came near the routes' 10 s (one run answered INTERNAL). The deployed value is
 * what every other test file runs with (the in-request fan-out's budget among them).
 */
export const BIG_GROUP_TIMEOUTS: Readonly<Record<string, number>> = { createChat: 30 };

/**
 * One stack for the test file: started before its tests (`beforeAll`), stopped after them
 * (`afterAll`). Returns it at once; its members can be used from hooks and tests, once started.
 * `options` may be a function, called when the stack starts (for values other hooks set up).
 */
export function useTestStack(
  options: LocalStackOptions | (() => LocalStackOptions | Promise<LocalStackOptions>) = {},
): TestStack {
  let current: TestStack | undefined;
  beforeAll(async () => {
    current = await startTestStack(typeof options === 'function' ? await options() : options);
  });
  afterAll(async () => {
    await current?.stop();
    current = undefined;
  });
  return standIn(() => current, 'The test stack is not started: use it in a hook or a test.');
}

/**
 * A value a test file can hold from the start that stands for `current()` once a hook has set it:
 * every read (and method call) goes to the current object, and throws `notReady` before.
 */
export function standIn<T extends object>(current: () => T | undefined, notReady: string): T {
  return new Proxy({} as T, {
    get(_target, key) {
      if (key === 'then') return undefined;
      const value = current();
      if (!value) throw new Error(notReady);
      const member = Reflect.get(value, key);
      return typeof member === 'function' ? member.bind(value) : member;
    },
  });
}
