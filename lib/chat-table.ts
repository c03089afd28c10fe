/**
 * The product's single DynamoDB table, built from `lib/table.ts` (the same definition DynamoDB Local
 * uses: keys, TTL attribute, and each index with its INCLUDE projection): on-demand, point-in-time
 * recovery, and protected from deletion unless the stack is a throwaway one. Encrypted with an AWS owned
 * key (free) unless a customer managed KMS key is asked for.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { PREFIX } from '../lambdas/data/keys.ts';
import type { TableAction, TableItemAction } from './routes.ts';
import { TABLE, type TableDefinition } from './table.ts';

/**
 * The partitions each scoped item action (`dynamodb:<action>:<scope>`) may touch: a user's items
 * (profile and connections), a group's roster (its members' open sockets) and a user's rate-limit
 * windows and socket count, by the key prefixes lambdas/data/keys.ts builds them with.
 */
const ITEM_SCOPES: Readonly<Record<string, readonly string[]>> = {
  userPartitions: [`${PREFIX.user}*`],
  socketPartitions: [`${PREFIX.user}*`, `${PREFIX.roster}*`],
  limitPartitions: [`${PREFIX.limit}*`],
};

/** How `ChatTable.grantActions` limits item actions to partitions (`dynamodb:LeadingKeys` patterns). */
export interface ItemPartitionOptions {
  /** Every item action to these patterns (one statement). */
  readonly itemPartitions?: readonly string[];
  /** Each item action to its own patterns; actions with the same patterns share a statement. */
  readonly partitionsByAction?: Readonly<Partial<Record<TableItemAction, readonly string[]>>>;
}

/** The item actions' statements: each group of actions with the patterns they are limited to (or none). */
function itemStatements(
  items: readonly string[],
  options: ItemPartitionOptions,
): [readonly string[], readonly string[] | undefined][] {
  const byAction = options.partitionsByAction as Readonly<Record<string, readonly string[]>> | undefined;
  if (!byAction) return items.length ? [[items, options.itemPartitions]] : [];
  for (const action of Object.keys(byAction)) {
    if (!items.includes(action)) {
      throw new Error(`partitionsByAction names ${action}, which the actions do not grant`);
    }
  }
  const groups = new Map<string, [string[], readonly string[]]>();
  for (const action of items) {
    const partitions = byAction[action];
    if (!partitions?.length) {
      throw new Error(`partitionsByAction has no partitions for ${action}: every item action needs its own`);
    }
    const key = [...partitions].sort().join(' ');
    const group = groups.get(key) ?? [[], partitions];
    group[0].push(action);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** Table actions that only read (a function with nothing else needs only KMS read access). */
const READ_ACTIONS: ReadonlySet<string> = new Set([
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Query:gsi1',
  'dynamodb:Query:lsi1',
  'dynamodb:Query:lsi2',
  'dynamodb:Query:gsi2',
]);
/** What DynamoDB needs of a customer managed key on a caller's behalf (as `Table.grant*` grants, spelled out). */
const KMS_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const KMS_WRITE_ACTIONS = [
  ...KMS_READ_ACTIONS,
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
];

export interface ChatTableProps {
  /**
   * Key schema, indexes and TTL attribute.
   * @default TABLE from lib/table.ts
   */
  readonly definition?: TableDefinition;
  /**
   * A throwaway stack: no deletion protection, and the table is deleted with the stack.
   * @default false (deletion protection on, RemovalPolicy.RETAIN)
   */
  readonly destroyable?: boolean;
  /**
   * Encrypt with a customer managed KMS key: `true` creates one (with yearly rotation, $1 a month plus
   * requests), or pass an existing key. Every function's role then gets the KMS actions DynamoDB needs,
   * only through DynamoDB (`kms:ViaService`).
   * @default - an AWS owned key (no charge, no key policy to manage)
   */
  readonly encryptionKey?: boolean | IKey;
}

export class ChatTable extends Construct {
  readonly table: Table;
  /** ARNs of the secondary indexes (global and local), one per index (no wildcard). */
  readonly indexArns: readonly string[];
  /** The customer managed key, when one is used. */
  readonly encryptionKey?: IKey;

  constructor(scope: Construct, id: string, props: ChatTableProps = {}) {
    super(scope, id);
    const def = props.definition ?? TABLE;
    const destroyable = props.destroyable ?? false;
    const removalPolicy = destroyable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    if (props.encryptionKey === true) {
      this.encryptionKey = new Key(this, 'Key', {
        description: 'Encrypts the chat table',
        enableKeyRotation: true,
        // A deleted key makes the retained table unreadable: keep it as long as the table.
        removalPolicy,
        pendingWindow: Duration.days(30),
      });
    } else if (props.encryptionKey) {
      this.encryptionKey = props.encryptionKey;
    }
    this.table = new Table(this, 'Table', {
      ...(this.encryptionKey
        ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: this.encryptionKey }
        : {}),
      partitionKey: { name: def.partitionKey, type: AttributeType.STRING },
      sortKey: { name: def.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: def.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: !destroyable,
      removalPolicy,
      // The event pipeline's source (lib/chat-stream.ts); a stream without consumers costs nothing.
      ...(def.streamViewType ? { stream: StreamViewType[def.streamViewType] } : {}),
    });
    for (const index of def.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        ...(index.nonKeyAttributes.length > 0
          ? { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.nonKeyAttributes] }
          : { projectionType: ProjectionType.KEYS_ONLY }),
      });
    }
    for (const index of def.localSecondaryIndexes) {
      this.table.addLocalSecondaryIndex({
        indexName: index.indexName,
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.KEYS_ONLY,
      });
    }
    this.indexArns = [...def.globalSecondaryIndexes, ...def.localSecondaryIndexes].map(
      (i) => `${this.table.tableArn}/index/${i.indexName}`,
    );
  }

  get tableName(): string {
    return this.table.tableName;
  }

  /** ARN of one secondary index. */
  indexArn(indexName: string): string {
    const arn = this.indexArns.find((a) => a.endsWith(`/index/${indexName}`));
    if (!arn) throw new Error(`the table has no index ${indexName}`);
    return arn;
  }

  /**
   * Grants exactly `actions` (see `TableAction` in lib/routes.ts), one statement per kind: item actions on
   * the table ARN, index queries on their index ARN, and scoped item actions (`DeleteItem` on user
   * partitions, `UpdateItem` on limiter items) under a `dynamodb:LeadingKeys` condition. Nothing is granted for an empty list. (`Table.grant` would add an
   * `index/*` wildcard.) With a customer managed key, the matching KMS actions on that key too.
   * `itemPartitions` limits the item actions to those partition key patterns (`dynamodb:LeadingKeys`);
   * `partitionsByAction`, each item action to its own patterns, as the code uses it (every item action
   * granted needs an entry; actions with the same patterns share a statement): scripts/check-iam.ts
   * proves each (action, pattern) pair used.
   */
  grantActions(
    grantee: IGrantable,
    actions: readonly TableAction[],
    options: ItemPartitionOptions = {},
  ): Grant[] {
    const unique = [...new Set(actions)].sort();
    const grants: Grant[] = [];
    const items = unique.filter((a) => !a.split(':')[2]);
    for (const [granted, partitions] of itemStatements(items, options)) {
      grants.push(
        Grant.addToPrincipal({
          grantee,
          actions: [...granted],
          resourceArns: [this.table.tableArn],
          ...(partitions
            ? { conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...partitions] } } }
            : {}),
        }),
      );
    }
    for (const action of unique.filter((a) => a.startsWith('dynamodb:Query:'))) {
      grants.push(
        Grant.addToPrincipal({
          grantee,
          actions: ['dynamodb:Query'],
          resourceArns: [this.indexArn(action.split(':')[2] as string)],
        }),
      );
    }
    // Scoped item actions (DeleteItem on user partitions, UpdateItem on limiter items): a route
    // holding the action on every item needs no scoped grant besides it; of two scopes of one action,
    // the prefixes of both (each scope's prefixes include the narrower ones').
    const scoped = new Map<string, Set<string>>();
    for (const a of unique) {
      const [, op, scope] = a.split(':');
      const prefixes = scope === undefined ? undefined : ITEM_SCOPES[scope];
      if (!op || !prefixes || unique.includes(`dynamodb:${op}` as TableAction)) continue;
      const held = scoped.get(op) ?? new Set<string>();
      for (const p of prefixes) held.add(p);
      scoped.set(op, held);
    }
    for (const [op, prefixes] of scoped) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [`dynamodb:${op}`],
          resources: [this.table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...prefixes] } },
        }),
      );
    }
    if (this.encryptionKey && unique.length > 0) {
      const writes = unique.some((a) => !READ_ACTIONS.has(a));
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: writes ? KMS_WRITE_ACTIONS : KMS_READ_ACTIONS,
          resources: [this.encryptionKey.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `dynamodb.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`,
            },
          },
        }),
      );
    }
    return grants;
  }
}
