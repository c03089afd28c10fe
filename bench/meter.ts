/**
 * Cost metering for handlers running in this process, without touching lambdas/:
 *
 * - every handler invocation runs inside an AsyncLocalStorage scope naming its route (installed by
 *   wrapping the handler the local gateway loads);
 * - the DynamoDB client the handlers share (injected with `setClients`) carries a middleware that
 *   adds `ReturnConsumedCapacity: 'TOTAL'` to every data command and books the consumed units to the
 *   current scope, per command name;
 * - the Management API client carries a middleware that counts `PostToConnection` calls per scope.
 *
 * Transactions: DynamoDB bills every item of a `TransactWriteItems` at 2 WCU per KB (of the larger
 * of the item's before and after image). DynamoDB Local's ConsumedCapacity for transactions is not
 * usable (it reports e.g. 2 units for one small item but also for four; see docs/performance.md), so
 * with `exactTransactions` on (the cost phase) the units are computed here from the item sizes: the
 * before image is read just before the transaction and the after image just after (with a separate,
 * unmetered client), and every item is billed 2 × ceil(max(before, after) / 1 KB); a written item
 * that carries the GSI keys adds its index write at 1 WCU per KB. With it off, DynamoDB Local's figure
 * is doubled instead (a rough figure, used only outside the cost phase).
 *
 * Failed conditional writes return no ConsumedCapacity; DynamoDB still bills them, so they are
 * booked as an estimate (1 WCU per single-item write; a cancelled transaction as computed above
 * from the before images, or 2 WCU per item).
 *
 * A `BatchGetItem` key that finds no item is billed the minimum read (as a `GetItem` of an absent
 * item is), but DynamoDB Local reports 0 for it: the meter adds it (`absentBatchReads`).
 *
 * How consumed capacity is booked and transactions are billed (item sizes, units) is in billing.ts;
 * this file holds the ledger, the scope and the two client middlewares.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { lightDynamo } from '../lambdas/data/light-dynamo.ts';
import { lightPosts } from '../lambdas/fanout/light-posts.ts';
import type { LambdaHandler } from '../local/gateway.ts';
import {
  absentBatchReads,
  book,
  DATA_COMMANDS,
  type Image,
  type TransactItem,
  transactionUnits,
} from './billing.ts';

export { itemSize } from './billing.ts';

export interface CommandStats {
  calls: number;
  /** Read units (transactional reads doubled). */
  read: number;
  /** Write units (transactional writes doubled). */
  write: number;
  /** Calls that failed (conditional check, cancelled transaction, other). */
  failed: number;
  /** Write units estimated for failed conditional writes (not reported by DynamoDB). */
  estimatedWrite: number;
}

export interface ActionStats {
  invocations: number;
  /** Sum of handler durations (ms). */
  totalMs: number;
  commands: Record<string, CommandStats>;
  /** PostToConnection calls (every attempt). */
  posts: number;
  /** Posts answered with an error (410, 429, 5xx). */
  failedPosts: number;
  /** Handler durations (ms), in order. */
  durations: number[];
}

export type MeterSnapshot = Record<string, ActionStats>;

/** The scope outside any handler (e.g. SDK calls made by the bench itself). */
export const UNATTRIBUTED = '(none)';

function emptyAction(): ActionStats {
  return { invocations: 0, totalMs: 0, commands: {}, posts: 0, failedPosts: 0, durations: [] };
}

function cloneAction(a: ActionStats): ActionStats {
  const commands: Record<string, CommandStats> = {};
  for (const [k, v] of Object.entries(a.commands)) commands[k] = { ...v };
  return { ...a, commands, durations: [...a.durations] };
}

export class Meter {
  readonly scope = new AsyncLocalStorage<string>();
  /** Compute transactional write units from item sizes (slower: two reads per item). */
  exactTransactions = false;
  #raw: DynamoDBDocumentClient | undefined;
  readonly #actions = new Map<string, ActionStats>();

  #stats(): ActionStats {
    const key = this.scope.getStore() ?? UNATTRIBUTED;
    let stats = this.#actions.get(key);
    if (!stats) {
      stats = emptyAction();
      this.#actions.set(key, stats);
    }
    return stats;
  }

  #command(name: string): CommandStats {
    const stats = this.#stats();
    const short = name.replace(/Command$/, '');
    let c = stats.commands[short];
    if (!c) {
      c = { calls: 0, read: 0, write: 0, failed: 0, estimatedWrite: 0 };
      stats.commands[short] = c;
    }
    return c;
  }

  /** Wraps a handler loader so every invocation runs in the route's scope and is timed. */
  wrapLoader(routeKey: string, load: () => Promise<LambdaHandler>): () => Promise<LambdaHandler> {
    return async () => {
      const handler = await load();
      return (event, context) =>
        this.scope.run(routeKey, async () => {
          const started = performance.now();
          try {
            return await handler(event, context);
          } finally {
            const ms = performance.now() - started;
            const stats = this.#stats();
            stats.invocations++;
            stats.totalMs += ms;
            if (stats.durations.length < 200_000) stats.durations.push(ms);
          }
        });
    };
  }

  /** A document client like the handlers' own (same options), metered. */
  documentClient(endpoint: string): DynamoDBDocumentClient {
    const base = new DynamoDBClient({ endpoint, maxAttempts: 3 });
    this.#raw = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, maxAttempts: 3 }));
    base.middlewareStack.add(
      (next, context) => async (args) => {
        const commandName = String(context.commandName ?? 'Unknown');
        if (!DATA_COMMANDS.has(commandName)) return next(args);
        const input = args.input as Record<string, unknown>;
        input.ReturnConsumedCapacity = 'TOTAL';
        const stats = this.#command(commandName);
        stats.calls++;
        const exact =
          this.exactTransactions && commandName === 'TransactWriteItemsCommand'
            ? await this.#beforeImages(input.TransactItems as TransactItem[])
            : undefined;
        try {
          const result = await next(args);
          if (exact) stats.write += await this.#transactionUnits(exact, true);
          else book(commandName, stats, (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity);
          if (commandName === 'BatchGetItemCommand') stats.read += absentBatchReads(input, result.output);
          return result;
        } catch (error) {
          stats.failed++;
          const name = (error as { name?: string }).name;
          if (name === 'ConditionalCheckFailedException') stats.estimatedWrite += 1;
          if (name === 'TransactionCanceledException') {
            const items = (input.TransactItems as unknown[] | undefined)?.length ?? 1;
            stats.estimatedWrite += exact ? await this.#transactionUnits(exact, false) : 2 * items;
          }
          throw error;
        }
      },
      // Before the document client marshalls the input: items are plain JS values here.
      { step: 'initialize', name: 'benchConsumedCapacity' },
    );
    return lightDynamo(
      DynamoDBDocumentClient.from(base, {
        marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
        unmarshallOptions: { wrapNumbers: false },
      }),
    );
  }

  async #get(tableName: string | undefined, key: Record<string, unknown> | undefined) {
    if (!tableName || !key || !this.#raw) return undefined;
    const out = await this.#raw.send(
      new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    return out.Item;
  }

  /** See transactionUnits (billing.ts): the after image of an update is read here. */
  #transactionUnits(images: readonly Image[], applied: boolean): Promise<number> {
    return transactionUnits(images, applied, (tableName, key) => this.#get(tableName, key));
  }

  async #beforeImages(items: TransactItem[] = []): Promise<Image[]> {
    return Promise.all(
      items.map(async (t) => {
        const op = t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck;
        const key =
          t.Put?.Item?.pk && t.Put.Item.sk
            ? { pk: t.Put.Item.pk, sk: t.Put.Item.sk }
            : (t.Update ?? t.Delete ?? t.ConditionCheck)?.Key;
        return { t, tableName: op?.TableName, key, before: await this.#get(op?.TableName, key) };
      }),
    );
  }

  /** A Management API client that counts posts per scope. */
  managementClient(endpoint: string): ApiGatewayManagementApiClient {
    // As the handlers' own client (lambdas/shared/clients.ts): posts take the light path.
    const client = lightPosts(new ApiGatewayManagementApiClient({ endpoint, maxAttempts: 1 }));
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'PostToConnectionCommand') return next(args);
        const stats = this.#stats();
        stats.posts++;
        try {
          return await next(args);
        } catch (error) {
          stats.failedPosts++;
          throw error;
        }
      },
      { step: 'initialize', name: 'benchPostCounter' },
    );
    return client;
  }

  snapshot(): MeterSnapshot {
    const out: MeterSnapshot = {};
    for (const [k, v] of this.#actions) out[k] = cloneAction(v);
    return out;
  }

  /** What was booked since `before`, per scope. */
  since(before: MeterSnapshot): MeterSnapshot {
    const out: MeterSnapshot = {};
    for (const [key, now] of this.#actions) {
      const then = before[key] ?? emptyAction();
      const diff: ActionStats = {
        invocations: now.invocations - then.invocations,
        totalMs: now.totalMs - then.totalMs,
        posts: now.posts - then.posts,
        failedPosts: now.failedPosts - then.failedPosts,
        commands: {},
        durations: now.durations.slice(then.durations.length),
      };
      for (const [name, c] of Object.entries(now.commands)) {
        const p = then.commands[name] ?? { calls: 0, read: 0, write: 0, failed: 0, estimatedWrite: 0 };
        if (c.calls === p.calls) continue;
        diff.commands[name] = {
          calls: c.calls - p.calls,
          read: c.read - p.read,
          write: c.write - p.write,
          failed: c.failed - p.failed,
          estimatedWrite: c.estimatedWrite - p.estimatedWrite,
        };
      }
      if (diff.invocations > 0 || diff.posts > 0 || Object.keys(diff.commands).length > 0) out[key] = diff;
    }
    return out;
  }
}
