/**
 * Records every AWS API call the handlers make, for `scripts/check-iam.ts`: DynamoDB Local does not
 * enforce IAM, so the test suites record what each function really calls and the checker proves the
 * synthesized policies allow exactly that.
 *
 * Active only when `AWS_CALL_LOG_DIR` is set (the test run sets it; Lambda never does): then
 * `lambdas/shared/clients.ts` adds `recordCalls` to every SDK client it creates or is given. Each call
 * is written once per distinct (function, IAM action, resource, leading-key kind) to
 * `<dir>/calls-<pid>.jsonl`. The function is the current invocation's (lambdas/shared/logger.ts).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { currentFunction } from './logger.ts';

export const CALL_LOG_DIR_ENV = 'AWS_CALL_LOG_DIR';
export { AUTHORIZER_FN } from './logger.ts';

/** One recorded call, as the IAM checker reads it. */
export interface RecordedCall {
  /** Route key of the invocation, `$authorizer`, or null outside any invocation. */
  readonly fn: string | null;
  /** The IAM action the call is authorized by, e.g. `dynamodb:PutItem`. */
  readonly action: string;
  /** The SDK operation, e.g. `TransactWriteItems`, `PostToConnection`. */
  readonly operation: string;
  /** DynamoDB: the table name. */
  readonly table?: string;
  /** DynamoDB: the index queried. */
  readonly index?: string;
  /** DynamoDB: an example partition key value (for `dynamodb:LeadingKeys` conditions). */
  readonly leadingKey?: string;
  /** Other services: what the call names (`@connections`, a secret id, a bucket…). */
  readonly resource?: string;
}

type Input = Record<string, unknown>;

/** A key attribute as the document client holds it (`'x'`) or marshalled (`{ S: 'x' }`). */
function keyString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const s = (value as { S?: unknown } | undefined)?.S;
  return typeof s === 'string' ? s : undefined;
}

function pkOf(key: unknown): string | undefined {
  return keyString((key as Input | undefined)?.pk);
}

/** The partition key value a Query names: the first `attr = :value` of its key condition. */
function queryLeadingKey(input: Input): string | undefined {
  const condition = String(input.KeyConditionExpression ?? '');
  const placeholder = condition.match(/=\s*(:[A-Za-z0-9_]+)/)?.[1];
  const values = input.ExpressionAttributeValues as Input | undefined;
  return placeholder ? keyString(values?.[placeholder]) : undefined;
}

const TRANSACT_ACTIONS = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
} as const;

type Call = Omit<RecordedCall, 'fn'>;

/** A partition key's kind: its prefix up to and including the first `#` (`USER#`), or the whole key. */
const keyKind = (pk: string) => pk.slice(0, pk.indexOf('#') + 1) || pk;

/**
 * A batch's calls on one table: one per kind of partition key among its items (the first item of
 * each kind as the example), since IAM's `ForAllValues` condition checks every key of the request.
 */
function batchCalls(operation: string, table: string, pks: readonly (string | undefined)[]): Call[] {
  const byKind = new Map<string, string>();
  for (const pk of pks) if (pk && !byKind.has(keyKind(pk))) byKind.set(keyKind(pk), pk);
  const base = { action: `dynamodb:${operation}`, operation, table };
  return byKind.size === 0 ? [base] : [...byKind.values()].map((pk) => ({ ...base, leadingKey: pk }));
}

/** The IAM-relevant calls of one DynamoDB request (a transaction authorizes each of its items). */
export function dynamoCalls(operation: string, input: Input): Call[] {
  const table = (name: unknown) => String(name ?? '');
  switch (operation) {
    case 'TransactWriteItems':
      return ((input.TransactItems ?? []) as Input[]).flatMap((item) =>
        (Object.keys(TRANSACT_ACTIONS) as (keyof typeof TRANSACT_ACTIONS)[])
          .filter((kind) => item[kind])
          .map((kind) => {
            const op = item[kind] as Input;
            const pk = kind === 'Put' ? pkOf(op.Item) : pkOf(op.Key);
            return {
              action: TRANSACT_ACTIONS[kind],
              operation,
              table: table(op.TableName),
              ...(pk ? { leadingKey: pk } : {}),
            };
          }),
      );
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as Input[]).map((item) => {
        const get = item.Get as Input;
        const pk = pkOf(get.Key);
        return {
          action: 'dynamodb:GetItem',
          operation,
          table: table(get.TableName),
          ...(pk ? { leadingKey: pk } : {}),
        };
      });
    case 'BatchGetItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>).flatMap(
        ([name, req]) => batchCalls(operation, name, (req.Keys ?? []).map(pkOf)),
      );
    case 'BatchWriteItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, Input[]>).flatMap(([name, reqs]) =>
        batchCalls(
          operation,
          name,
          (reqs as { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }[]).map((r) =>
            pkOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key),
          ),
        ),
      );
    default: {
      const pk =
        operation === 'Query'
          ? queryLeadingKey(input)
          : operation === 'PutItem'
            ? pkOf(input.Item)
            : pkOf(input.Key);
      return [
        {
          action: `dynamodb:${operation}`,
          operation,
          table: table(input.TableName),
          ...(typeof input.IndexName === 'string' ? { index: input.IndexName } : {}),
          ...(pk ? { leadingKey: pk } : {}),
        },
      ];
    }
  }
}

/** IAM service prefixes of the SDK clients the product uses. */
const SERVICE_PREFIX: Record<string, string> = {
  DynamoDBClient: 'dynamodb',
  ApiGatewayManagementApiClient: 'execute-api',
  SecretsManagerClient: 'secretsmanager',
  S3Client: 's3',
  SQSClient: 'sqs',
  SchedulerClient: 'scheduler',
};

/** Batch operations IAM authorizes by their single-item action. */
const BATCH_ACTIONS: Record<string, string> = {
  'sqs:SendMessageBatch': 'sqs:SendMessage',
  'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibilityBatch': 'sqs:ChangeMessageVisibility',
};

/** The IAM-relevant calls of one SDK request. */
export function callsOf(clientName: string, commandName: string, input: Input): Call[] {
  const operation = commandName.replace(/Command$/, '');
  const prefix = SERVICE_PREFIX[clientName] ?? clientName.replace(/Client$/, '').toLowerCase();
  if (prefix === 'dynamodb') return dynamoCalls(operation, input);
  if (prefix === 'execute-api') {
    // Post, Get and Delete on @connections are all authorized by execute-api:ManageConnections.
    return [{ action: 'execute-api:ManageConnections', operation, resource: '@connections' }];
  }
  const named = [input.SecretId, input.Bucket, input.QueueUrl, input.Name].find((v) => typeof v === 'string');
  const action = BATCH_ACTIONS[`${prefix}:${operation}`] ?? `${prefix}:${operation}`;
  return [{ action, operation, resource: (named as string | undefined) ?? '*' }];
}

const written = new Set<string>();

function dedupeKey(call: RecordedCall): string {
  const kind = call.leadingKey ? keyKind(call.leadingKey) : '';
  return [call.fn, call.action, call.table, call.index, call.resource, kind].join('|');
}

/** Writes calls to the log (each distinct one once per process). */
export function recordCall(dir: string, calls: readonly Call[]): void {
  const fn = currentFunction() ?? null;
  const lines: string[] = [];
  for (const call of calls) {
    const full: RecordedCall = { fn, ...call };
    const key = dedupeKey(full);
    if (written.has(key)) continue;
    written.add(key);
    lines.push(JSON.stringify(full));
  }
  if (lines.length === 0) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `calls-${process.pid}.jsonl`), `${lines.join('\n')}\n`);
}

/** The part of an SDK client this module needs. */
interface Instrumentable {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: { input: object }) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) => (args: { input: object }) => Promise<unknown>,
      options: { step: 'initialize'; name: string; override?: boolean },
    ): void;
  };
}

/** Adds the recording middleware to a client (idempotent). */
export function recordCalls<T extends object>(client: T, dir: string): T {
  (client as unknown as Instrumentable).middlewareStack.add(
    (next, context) => async (args) => {
      try {
        recordCall(dir, callsOf(context.clientName ?? '', context.commandName ?? '', args.input as Input));
      } catch {
        // Recording must never break a call.
      }
      return next(args);
    },
    { step: 'initialize', name: 'awsCallRecorder', override: true },
  );
  return client;
}
