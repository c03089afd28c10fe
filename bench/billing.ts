/**
 * What DynamoDB bills, as bench/meter.ts books it: the ConsumedCapacity a command reports, and for
 * transactions (whose figure DynamoDB Local gets wrong) units computed from item sizes, 2 WCU per KB
 * of the larger of an item's before and after image (docs/performance.md).
 */

/** The commands that read or write items: the ones metered. */
export const DATA_COMMANDS = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactGetItemsCommand',
  'TransactWriteItemsCommand',
]);

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

const READ_COMMANDS = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

/** One item of a transaction, with its image before the write. */
export interface Image {
  readonly t: TransactItem;
  readonly tableName: string | undefined;
  readonly key: Record<string, unknown> | undefined;
  readonly before: Record<string, unknown> | undefined;
}

export interface TransactItem {
  Put?: { TableName?: string; Item?: Record<string, unknown> };
  Update?: { TableName?: string; Key?: Record<string, unknown> };
  Delete?: { TableName?: string; Key?: Record<string, unknown> };
  ConditionCheck?: { TableName?: string; Key?: Record<string, unknown> };
}

const KB = 1024;
const GSI_KEY = 'gsi1pk';

/** DynamoDB's item size (attribute names plus values, UTF-8) of an item as the document client holds it. */
export function itemSize(item: Record<string, unknown> | undefined): number {
  if (!item) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined) size += Buffer.byteLength(name) + valueSize(value);
  }
  return size;
}

function valueSize(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (typeof v === 'number' || typeof v === 'bigint') {
    const digits = String(v).replace(/[-.]/g, '').replace(/^0+/, '');
    return Math.ceil(digits.length / 2) + 1;
  }
  if (typeof v === 'boolean' || v === null) return 1;
  if (v instanceof Uint8Array) return v.length;
  if (v instanceof Set) return [...v].reduce((a: number, x) => a + valueSize(x), 0);
  if (Array.isArray(v)) return 3 + v.reduce((a: number, x) => a + 1 + valueSize(x), 0);
  if (typeof v === 'object') {
    return (
      3 +
      Object.entries(v as Record<string, unknown>).reduce(
        (a, [k, x]) => a + (x === undefined ? 0 : 1 + Buffer.byteLength(k) + valueSize(x)),
        0,
      )
    );
  }
  return 0;
}

/**
 * 2 WCU per KB of the larger image per item; a written item with GSI keys adds 1 WCU per KB. `get`
 * reads an item's image after the write (an update's; a put's is its item).
 */
export async function transactionUnits(
  images: readonly Image[],
  applied: boolean,
  get: (
    tableName: string | undefined,
    key: Record<string, unknown> | undefined,
  ) => Promise<Record<string, unknown> | undefined>,
): Promise<number> {
  let units = 0;
  for (const { t, tableName, key, before } of images) {
    let after: Record<string, unknown> | undefined;
    if (applied && t.Put) after = t.Put.Item;
    else if (applied && t.Update) after = await get(tableName, key);
    const size = Math.max(itemSize(before), itemSize(after));
    units += 2 * Math.max(1, Math.ceil(size / KB));
    if (applied && !t.ConditionCheck) {
      const indexed = (after && GSI_KEY in after) || (t.Delete && before && GSI_KEY in before);
      if (indexed) units += Math.max(1, Math.ceil(Math.max(itemSize(before), itemSize(after)) / KB));
    }
  }
  return units;
}

/**
 * Read units DynamoDB bills for the keys of a BatchGetItem that found no item and DynamoDB Local
 * leaves out: Local reports 0 for them, where a GetItem of an absent item reports (and DynamoDB
 * bills) the minimum, 1 unit strongly consistent or 0.5 eventually; a BatchGetItem of absent items
 * is billed the same way. Keys returned unprocessed were not read.
 */
export function absentBatchReads(input: unknown, output: unknown): number {
  type Keys = { Keys?: unknown[]; ConsistentRead?: boolean };
  const requested = (input as { RequestItems?: Record<string, Keys> }).RequestItems ?? {};
  const found = (output as { Responses?: Record<string, unknown[]> }).Responses ?? {};
  const unprocessed = (output as { UnprocessedKeys?: Record<string, Keys> }).UnprocessedKeys ?? {};
  let units = 0;
  for (const [table, ask] of Object.entries(requested)) {
    const absent =
      (ask.Keys?.length ?? 0) - (found[table]?.length ?? 0) - (unprocessed[table]?.Keys?.length ?? 0);
    units += Math.max(0, absent) * (ask.ConsistentRead ? 1 : 0.5);
  }
  return units;
}

/** Books a command's reported ConsumedCapacity (transactions doubled) to its stats. */
export function book(commandName: string, stats: { read: number; write: number }, consumed: unknown): void {
  const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as Capacity[];
  const factor = commandName.startsWith('Transact') ? 2 : 1;
  const isRead = READ_COMMANDS.has(commandName);
  for (const c of list) {
    if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
      stats.read += (c.ReadCapacityUnits ?? 0) * factor;
      stats.write += (c.WriteCapacityUnits ?? 0) * factor;
    } else if (isRead) {
      // DynamoDB Local reports a single CapacityUnits figure: classify it by the command's kind.
      stats.read += (c.CapacityUnits ?? 0) * factor;
    } else {
      stats.write += (c.CapacityUnits ?? 0) * factor;
    }
  }
}
