/**
 * The product's single DynamoDB table, built from `lib/table.ts` (the same definition DynamoDB Local
 * uses: keys, TTL attribute, and each index with its INCLUDE projection): on-demand, point-in-time
 * recovery, and protected from deletion unless the stack is a throwaway one.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { TableAction } from './routes.ts';
import { TABLE, type TableDefinition } from './table.ts';

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
}

export class ChatTable extends Construct {
  readonly table: Table;
  /** ARNs of the secondary indexes (global and local), one per index (no wildcard). */
  readonly indexArns: readonly string[];

  constructor(scope: Construct, id: string, props: ChatTableProps = {}) {
    super(scope, id);
    const def = props.definition ?? TABLE;
    const destroyable = props.destroyable ?? false;
    this.table = new Table(this, 'Table', {
      partitionKey: { name: def.partitionKey, type: AttributeType.STRING },
      sortKey: { name: def.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: def.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: !destroyable,
      removalPolicy: destroyable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
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

  /**
   * Grants exactly `actions` on the table and each of its indexes. Nothing is granted for an empty list.
   * (`Table.grant` would add an `index/*` wildcard.)
   */
  grantActions(grantee: IGrantable, actions: readonly TableAction[]): Grant | undefined {
    const unique = [...new Set(actions)].sort();
    if (unique.length === 0) return undefined;
    return Grant.addToPrincipal({
      grantee,
      actions: unique,
      resourceArns: [this.table.tableArn, ...this.indexArns],
    });
  }
}
