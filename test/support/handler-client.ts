/**
 * The handlers' DynamoDB client, replaced by one whose every command first passes `before` (fault
 * tests: fail, hold or count a command in front of the SDK's retries). The handlers run in this
 * process, so `setClients` reaches them; `restore()` puts the default client back.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { lightDynamo } from '../../lambdas/data/light-dynamo.ts';
import { setStore } from '../../lambdas/data/store.ts';
import { setDeps } from '../../lambdas/domain/deps.ts';
import { setClients } from '../../lambdas/shared/clients.ts';
import type { LocalStackOptions } from '../../local/stack.ts';
import { type TestStack, useTestStack } from './stack.ts';

/** Runs before each command: `command` is its name (e.g. `QueryCommand`), `input` its JSON. */
export type BeforeCommand = (command: string, input: string) => Promise<void> | void;

export function interceptHandlerClient(
  endpoint: string,
  before: BeforeCommand,
): { doc: DynamoDBDocumentClient; restore: () => void } {
  const doc = lightDynamo(
    DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, maxAttempts: 3 }), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
  );
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      await before(String(context.commandName), JSON.stringify(args.input));
      return next(args);
    },
    { step: 'initialize', name: 'intercept' },
  );
  const use = (documentClient: DynamoDBDocumentClient | undefined) => {
    setClients({ documentClient });
    setStore(undefined);
    setDeps(undefined);
  };
  use(doc);
  return {
    doc,
    restore: () => {
      use(undefined);
      doc.destroy();
    },
  };
}

/**
 * A test file's stack (started with `options`) whose handlers' DynamoDB client passes `before`
 * (started before the file's tests; the default client put back, then the stack stopped, after them).
 */
export function useInterceptedStack(before: BeforeCommand, options: LocalStackOptions = {}): TestStack {
  const stack = useTestStack(options);
  let handlers: ReturnType<typeof interceptHandlerClient> | undefined;
  beforeAll(() => {
    handlers = interceptHandlerClient(stack.dynamoEndpoint, before);
  });
  afterAll(() => handlers?.restore());
  return stack;
}
