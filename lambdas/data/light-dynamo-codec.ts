/**
 * What the document client does to the data commands' input and output, for the light path
 * (`light-dynamo.ts`): plain values in the input become AttributeValues (`marshall`, with the
 * document client's own options), the items in the output become plain values again (`unmarshall`).
 * The fields are the ones `@aws-sdk/lib-dynamodb` converts for these commands (its `inputKeyNodes`
 * and `outputKeyNodes`); `test/unit/light-dynamo.test.ts` compares every command's output with the
 * SDK's against DynamoDB Local. A command with a parameter this codec does not convert (the legacy
 * `Expected`, `KeyConditions`…, or item collection metrics) is not light: it goes through the SDK.
 * The wire format is DynamoDB's JSON 1.0: binary values are base64 both ways. A transaction gets
 * the idempotency token the SDK would give it.
 */
import { randomUUID } from 'node:crypto';
import {
  unmarshall as fromWire,
  type marshallOptions,
  marshall as toWire,
  type unmarshallOptions,
} from '@aws-sdk/util-dynamodb';

type Doc = Record<string, unknown>;
type Wire = Record<string, never>;
export type MarshallOptions = marshallOptions;
export type UnmarshallOptions = unmarshallOptions;

interface Codec {
  /** The document client's input as DynamoDB takes it. */
  readonly input: (input: Doc, options: MarshallOptions) => Doc;
  /** DynamoDB's output as the document client returns it. */
  readonly output: (output: Doc, options: UnmarshallOptions) => Doc;
}

/** Parameters only the SDK path converts (legacy conditions, item collection metrics). */
const UNSUPPORTED = [
  'Expected',
  'AttributeUpdates',
  'KeyConditions',
  'QueryFilter',
  'ConditionalOperator',
  'ReturnItemCollectionMetrics',
];

/**
 * A map of plain values as AttributeValues, value by value as lib-dynamodb converts a map it knows
 * (`ALL_VALUES`): functions and undefined values are left out, each value is marshalled on its own.
 */
function marshallMap(map: Doc, options: MarshallOptions): Doc {
  const out: Doc = {};
  const each = { ...options, convertTopLevelContainer: true };
  for (const [key, value] of Object.entries(map)) {
    if (value === undefined || typeof value === 'function') continue;
    out[key] = toWire(value, each);
  }
  return out;
}

/** `fields` of `doc` marshalled (the ones present); the rest unchanged. */
function marshallFields(doc: Doc, fields: readonly string[], options: MarshallOptions): Doc {
  const out = { ...doc };
  for (const field of fields) {
    if (doc[field] !== undefined) out[field] = marshallMap(doc[field] as Doc, options);
  }
  return out;
}

/** `fields` of `doc` unmarshalled (the ones present); the rest unchanged. */
function unmarshallFields(doc: Doc, fields: readonly string[], options: UnmarshallOptions): Doc {
  const out = { ...doc };
  for (const field of fields) {
    if (doc[field] !== undefined) out[field] = fromWire(doc[field] as Wire, options);
  }
  return out;
}

const mapValues = (doc: unknown, f: (value: never) => unknown): Doc | undefined =>
  doc === undefined
    ? undefined
    : Object.fromEntries(Object.entries(doc as Doc).map(([k, v]) => [k, f(v as never)]));

const withField = (doc: Doc, field: string, value: unknown): Doc =>
  value === undefined ? doc : { ...doc, [field]: value };

/** A single-item command: `inFields` marshalled, `outFields` unmarshalled. */
const single = (inFields: readonly string[], outFields: readonly string[]): Codec => ({
  input: (input, options) => marshallFields(input, inFields, options),
  output: (output, options) => unmarshallFields(output, outFields, options),
});

type WriteRequest = { PutRequest?: { Item: Doc }; DeleteRequest?: { Key: Doc } };
const writeRequests = (convert: (doc: Doc) => Doc) => (requests: WriteRequest[]) =>
  requests.map((r) => ({
    ...(r.PutRequest ? { PutRequest: { ...r.PutRequest, Item: convert(r.PutRequest.Item) } } : {}),
    ...(r.DeleteRequest ? { DeleteRequest: { ...r.DeleteRequest, Key: convert(r.DeleteRequest.Key) } } : {}),
  }));

const TRANSACT_FIELDS = {
  Put: ['Item', 'ExpressionAttributeValues'],
  Update: ['Key', 'ExpressionAttributeValues'],
  Delete: ['Key', 'ExpressionAttributeValues'],
  ConditionCheck: ['Key', 'ExpressionAttributeValues'],
} as const;

const CODECS: Record<string, Codec> = {
  GetItemCommand: single(['Key'], ['Item']),
  PutItemCommand: single(['Item', 'ExpressionAttributeValues'], ['Attributes']),
  UpdateItemCommand: single(['Key', 'ExpressionAttributeValues'], ['Attributes']),
  DeleteItemCommand: single(['Key', 'ExpressionAttributeValues'], ['Attributes']),
  QueryCommand: {
    input: (input, options) =>
      marshallFields(input, ['ExpressionAttributeValues', 'ExclusiveStartKey'], options),
    output: (output, options) =>
      withField(
        unmarshallFields(output, ['LastEvaluatedKey'], options),
        'Items',
        (output.Items as Wire[] | undefined)?.map((item) => fromWire(item, options)),
      ),
  },
  BatchGetItemCommand: {
    input: (input, options) =>
      withField(
        input,
        'RequestItems',
        mapValues(input.RequestItems, (t: { Keys: Doc[] }) => ({
          ...t,
          Keys: t.Keys.map((k) => marshallMap(k, options)),
        })),
      ),
    output: (output, options) =>
      withField(
        withField(
          output,
          'Responses',
          mapValues(output.Responses, (items: Wire[]) => items.map((i) => fromWire(i, options))),
        ),
        'UnprocessedKeys',
        mapValues(output.UnprocessedKeys, (t: { Keys: Wire[] }) => ({
          ...t,
          Keys: t.Keys.map((k) => fromWire(k, options)),
        })),
      ),
  },
  BatchWriteItemCommand: {
    input: (input, options) =>
      withField(
        input,
        'RequestItems',
        mapValues(
          input.RequestItems,
          writeRequests((d) => marshallMap(d, options)),
        ),
      ),
    output: (output, options) =>
      withField(
        output,
        'UnprocessedItems',
        mapValues(
          output.UnprocessedItems,
          writeRequests((d) => fromWire(d as Wire, options)),
        ),
      ),
  },
  TransactWriteItemsCommand: {
    // The SDK fills the idempotency token in when the caller did not: a retry of a transaction that
    // was applied but not answered is then answered as applied, not applied twice (or refused by its
    // own conditions). The body is built once, so every attempt carries the same token.
    input: (input, options) =>
      withField(
        { ...input, ClientRequestToken: input.ClientRequestToken ?? randomUUID() },
        'TransactItems',
        (input.TransactItems as Doc[] | undefined)?.map((action) =>
          Object.fromEntries(
            Object.entries(action).map(([kind, body]) => {
              const fields = TRANSACT_FIELDS[kind as keyof typeof TRANSACT_FIELDS];
              return [kind, fields && body ? marshallFields(body as Doc, fields, options) : body];
            }),
          ),
        ),
      ),
    output: (output) => output,
  },
};

/** The codec of a command the light path takes, or undefined (the SDK's path). */
export function codecOf(commandName: string | undefined, input: Doc): Codec | undefined {
  const codec = commandName ? CODECS[commandName] : undefined;
  if (!codec || UNSUPPORTED.some((p) => input[p] !== undefined)) return undefined;
  return codec;
}

/** DynamoDB's operation name for the `X-Amz-Target` header: `PutItemCommand` → `PutItem`. */
export const operationOf = (commandName: string): string => commandName.replace(/Command$/, '');

const base64 = (bytes: ArrayBufferView | ArrayBuffer): string =>
  (ArrayBuffer.isView(bytes)
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : Buffer.from(bytes)
  ).toString('base64');

/** JSON of a marshalled input: binary values as base64, as DynamoDB's JSON protocol sends them. */
export function toJson(wire: Doc): string {
  return JSON.stringify(wire, function (this: Doc, key: string, value: unknown) {
    const raw = this[key];
    return ArrayBuffer.isView(raw) || raw instanceof ArrayBuffer ? base64(raw) : value;
  });
}

/** An AttributeValue of `B` or `BS`: the only JSON object with that one key and a string (array) value. */
function reviveBinary(this: Doc, key: string, value: unknown): unknown {
  if (key !== 'B' && key !== 'BS') return value;
  if (Object.keys(this).length !== 1) return value;
  if (key === 'B' && typeof value === 'string') return new Uint8Array(Buffer.from(value, 'base64'));
  if (key === 'BS' && Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return value.map((v: string) => new Uint8Array(Buffer.from(v, 'base64')));
  return value;
}

/** DynamoDB's JSON answer; binary values (base64 on the wire) become Uint8Array, as the SDK's. */
export function fromJson(text: string): Doc {
  if (text.length === 0) return {};
  return JSON.parse(text, /"BS?":/.test(text) ? reviveBinary : undefined) as Doc;
}
