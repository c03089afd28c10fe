/**
 * Which table an operator's script works on (`--table`, `--local`, `--endpoint`), and a document
 * client for it: the SDK's credentials and region on AWS, fixed local ones for DynamoDB Local.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_TABLE_NAME } from '../local/defaults.ts';
import { type DevState, devStatePath, liveStates } from '../local/dev-state.ts';

/** Where `--local` looks when neither $DYNAMODB_ENDPOINT is set nor `npm run dev` runs. */
export const DEFAULT_LOCAL_ENDPOINT = 'http://127.0.0.1:8000';

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
  /**
   * Said on stderr before the script runs: where `--local` went when no running dev was found, or
   * which of several running devs it took.
   */
  readonly notice?: string;
}

/**
 * The table the options name. Endpoint: `--endpoint`; with `--local`, $DYNAMODB_ENDPOINT, else the
 * running `npm run dev`'s DynamoDB Local (local/dev-state.ts), else http://127.0.0.1:8000 (with a
 * notice). Table: `--table`, else $TABLE_NAME, else the running dev's table or the local default.
 */
export function tableTarget(
  values: {
    readonly table?: string | undefined;
    readonly local?: boolean | undefined;
    readonly endpoint?: string | undefined;
  },
  env: NodeJS.ProcessEnv = process.env,
): TableTarget {
  const devs: DevState[] = values.local && values.endpoint === undefined ? liveStates(devStatePath(env)) : [];
  const dev = devs.at(-1);
  const fallback = values.local && values.endpoint === undefined && !env.DYNAMODB_ENDPOINT && !dev;
  const endpoint =
    values.endpoint ??
    (values.local ? (env.DYNAMODB_ENDPOINT ?? dev?.dynamoEndpoint ?? DEFAULT_LOCAL_ENDPOINT) : undefined);
  const tableName =
    values.table ??
    env.TABLE_NAME ??
    (endpoint !== undefined ? (dev?.tableName ?? DEFAULT_TABLE_NAME) : undefined);
  if (!tableName) throw new Error('Name the table: --table <the stack output TableName> (or TABLE_NAME).');
  const notice = fallback
    ? `--local: no running \`npm run dev\` found (${devStatePath(env)}), so trying ` +
      `${DEFAULT_LOCAL_ENDPOINT}. Start \`npm run dev\`, or name the endpoint with ` +
      '--endpoint <url> or DYNAMODB_ENDPOINT.'
    : dev && devs.length > 1 && !env.DYNAMODB_ENDPOINT
      ? `--local: ${devs.length} \`npm run dev\` are running; using the one started last (pid ${dev.pid}, ` +
        `${dev.dynamoEndpoint}). Name another with --endpoint: ` +
        devs
          .slice(0, -1)
          .map((other) => `${other.dynamoEndpoint} (pid ${other.pid})`)
          .join(', ')
      : undefined;
  return { tableName, endpoint, ...(notice ? { notice } : {}) };
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
