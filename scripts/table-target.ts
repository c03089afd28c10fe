/**
 * Which table an operator's script works on (`--table`, `--local`, `--endpoint`), and a document
 * client for it: the SDK's credentials and region on AWS, fixed local ones for DynamoDB Local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_TABLE_NAME } from '../local/defaults.ts';

/** The `parseArgs` options every table script takes. */
export const TABLE_OPTIONS = {
  table: { type: 'string' },
  local: { type: 'boolean', default: false },
  endpoint: { type: 'string' },
} as const;

export interface TableTarget {
  readonly tableName: string;
  /** A DynamoDB endpoint (DynamoDB Local); undefined on AWS. */
  readonly endpoint: string | undefined;
}

/** The table the options name: `--table`, else $TABLE_NAME, else the local stack's default table. */
export function tableTarget(values: {
  readonly table?: string | undefined;
  readonly local?: boolean | undefined;
  readonly endpoint?: string | undefined;
}): TableTarget {
  const endpoint =
    values.endpoint ??
    (values.local ? (process.env.DYNAMODB_ENDPOINT ?? 'http://127.0.0.1:8000') : undefined);
  const tableName =
    values.table ?? process.env.TABLE_NAME ?? (endpoint !== undefined ? DEFAULT_TABLE_NAME : undefined);
  if (!tableName) throw new Error('Name the table: --table <the stack output TableName> (or TABLE_NAME).');
  return { tableName, endpoint };
}

/** A document client for the endpoint (local credentials there), or for AWS. */
export function documentClient(endpoint: string | undefined): DynamoDBDocumentClient {
  const client = new DynamoDBClient(
    endpoint !== undefined
      ? {
          endpoint,
          region: process.env.AWS_REGION ?? 'local',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {},
  );
  return DynamoDBDocumentClient.from(client);
}
