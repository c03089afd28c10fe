/**
 * The handlers' DynamoDB client, replaced by one whose every command first passes `before` (fault
 * tests: fail, hold or count a command in front of the SDK's retries, or fail it once applied). The
 * handlers run in this process, so `setClients` reaches them; `restore()` puts the default client back.
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

/**
 * Runs before each command: `command` is its name (e.g. `QueryCommand`), `input` its JSON. It may
 * return an `AfterCommand`, run once the command was answered: its throw is what the handler gets,
 * though the command was applied (an answer lost on its way back, a write past its deadline).
 */
export type BeforeCommand = (
  command: string,
  input: string,
) => Promise<AfterCommand | undefined> | AfterCommand | undefined;
export type AfterCommand = () => Promise<void> | void;

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
      const after = await before(String(context.commandName), JSON.stringify(args.input));
      const output = await next(args);
      if (typeof after === 'function') await after();
      return output;
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
