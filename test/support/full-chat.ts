/**
 * A chat at DynamoDB's 10 GB limit on a partition's items and local-index entries (docs/data-model.md,
 * "Size of a chat"), for tests through the handlers' client (`interceptHandlerClient`): DynamoDB
 * Local never fills a partition, so the refusal is thrown in front of it, shaped as the light
 * transport shapes DynamoDB's errors. DynamoDB refuses any write that would grow the collection: a
 * new item, and an update that adds an attribute or lengthens a value of an existing one. The model
 * here, for writes into `CHAT#<chatId>`:
 *
 * - a Put (alone, in a batch or in a transaction) grows it;
 * - an update of `META` grows it when it sets or adds one of the attributes `META` may lack
 *   (`deletedAt`, `blockedSenders`, `blocksMirrored`, `voidSeqs`) and removes none (a removal is taken
 *   to make up for it: the code removes an attribute at least as big); its counters do not;
 * - an update of any other item grows it (a message's edit, a TTL added, an upload's status), unless
 *   it removes an attribute too or makes a message a tombstone (sets `deleted`, its text and
 *   attachments emptied).
 *
 * Deletes and condition checks never grow it.
 */
import { afterAll, beforeAll } from 'vitest';
import { errorOf } from '../../lambdas/data/light-dynamo-errors.ts';
import { interceptHandlerClient } from './handler-client.ts';
import type { TestStack } from './stack.ts';

type Keyed = { pk?: unknown; sk?: unknown };
type Update = { Key?: Keyed; UpdateExpression?: string; ExpressionAttributeNames?: Record<string, string> };

const META_OPTIONAL = /\b(deletedAt|blockedSenders|blocksMirrored|voidSeqs)\b/;

function updateGrows(update: Update): boolean {
  const expression = update.UpdateExpression ?? '';
  if (/\bREMOVE\b/.test(expression)) return false;
  if (Object.values(update.ExpressionAttributeNames ?? {}).includes('deleted')) return false;
  if (update.Key?.sk !== 'META') return true;
  const adding = expression.replace(/\bREMOVE\b.*$/, '');
  return /\b(SET|ADD)\b/.test(adding) && META_OPTIONAL.test(adding);
}

/** Whether the write `command` (its input as JSON) would grow the partition `CHAT#<chatId>`. */
export function growsChat(command: string, input: string, chatId: string): boolean {
  const pk = `CHAT#${chatId}`;
  const body = JSON.parse(input) as Record<string, unknown>;
  const inChat = (k: Keyed | undefined) => k?.pk === pk;
  switch (command) {
    case 'PutItemCommand':
      return inChat(body.Item as Keyed);
    case 'UpdateItemCommand':
      return inChat((body as Update).Key) && updateGrows(body as Update);
    case 'BatchWriteItemCommand':
      return Object.values((body.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: Keyed } }[]>)
        .flat()
        .some((r) => inChat(r.PutRequest?.Item));
    case 'TransactWriteItemsCommand':
      return ((body.TransactItems ?? []) as { Put?: { Item: Keyed }; Update?: Update }[]).some(
        (a) => inChat(a.Put?.Item) || (inChat(a.Update?.Key) && updateGrows(a.Update ?? {})),
      );
    default:
      return false;
  }
}

/** DynamoDB's refusal of `command` for a full collection (a transaction: cancelled for it). */
export function collectionFull(command: string): Error {
  return command === 'TransactWriteItemsCommand'
    ? errorOf(
        {
          __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
          message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
          CancellationReasons: [
            { Code: 'ItemCollectionSizeLimitExceeded', Message: 'Collection size exceeded.' },
          ],
        },
        400,
        undefined,
        {},
      )
    : errorOf(
        {
          __type: 'com.amazonaws.dynamodb.v20120810#ItemCollectionSizeLimitExceededException',
          message: 'Item collection size limit exceeded',
        },
        400,
        undefined,
        {},
      );
}

/** The chat a test file makes full (`chatId`, while set) and what its refusals were (`refused`). */
export interface FullChat {
  chatId: string | undefined;
  readonly refused: string[];
}

/**
 * For the test file: the handlers' client refuses every write that grows `chatId`'s partition while
 * it is set (from `beforeAll` to `afterAll`), recording each refusal as `describe` names it (its
 * command by default).
 */
export function useFullChat(
  stack: TestStack,
  describe: (command: string, input: string) => string = (command) => command,
): FullChat {
  const full: FullChat = { chatId: undefined, refused: [] };
  let handlers: ReturnType<typeof interceptHandlerClient> | undefined;
  beforeAll(() => {
    handlers = interceptHandlerClient(stack.dynamoEndpoint, (command, input) => {
      if (full.chatId && growsChat(command, input, full.chatId)) {
        full.refused.push(describe(command, input));
        throw collectionFull(command);
      }
    });
  });
  afterAll(() => handlers?.restore());
  return full;
}
