/**
 * What the document client does to a data command's input and output, for the light path
 * (`light-dynamo.ts`): plain values in the input become AttributeValues, the items in the output plain
 * values again. The fields come from `@aws-sdk/lib-dynamodb`'s own commands (their `inputKeyNodes`
 * and `outputKeyNodes`) and are walked as lib-dynamodb walks them, so the conversions are its own;
 * `test/e2e/light-dynamo.test.ts` compares every command's answers with the SDK's against DynamoDB
 * Local. A transaction gets the idempotency token the SDK would give it. The wire format is
 * DynamoDB's JSON 1.0: binary values are base64 both ways.
 */
import { randomUUID } from 'node:crypto';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  unmarshall as fromWire,
  type marshallOptions,
  marshall as toWire,
  type unmarshallOptions,
} from '@aws-sdk/util-dynamodb';

type Doc = Record<string, unknown>;
export type MarshallOptions = marshallOptions;
export type UnmarshallOptions = unmarshallOptions;
/** lib-dynamodb's field tree: `null` the value itself, `{}`/`[]` every member, `'*'` every key. */
type KeyNodes = { readonly [key: string]: KeyNodes } | null;
type Convert = (value: never) => unknown;

/** The document commands the light path takes, by the low-level command's name. */
const COMMANDS = {
  GetItemCommand: GetCommand,
  PutItemCommand: PutCommand,
  UpdateItemCommand: UpdateCommand,
  DeleteItemCommand: DeleteCommand,
  QueryCommand,
  BatchGetItemCommand: BatchGetCommand,
  BatchWriteItemCommand: BatchWriteCommand,
  TransactWriteItemsCommand: TransactWriteCommand,
} as const;
type Light = keyof typeof COMMANDS;

const isFunction = (value: unknown) => typeof value === 'function';

// The walk of lib-dynamodb's `processObj` / `processKeysInObj` / `processAllKeysInObj`.
function walk(obj: unknown, convert: Convert, nodes: KeyNodes | undefined): unknown {
  if (obj === undefined) return undefined;
  if (nodes == null) return convert(obj as never);
  const keys = Object.keys(nodes);
  if (keys.length === 1 && keys[0] === '*') {
    const out: Doc | unknown[] = Array.isArray(obj) ? [] : {};
    for (const [k, v] of Object.entries((obj ?? {}) as Doc)) {
      if (!isFunction(v)) (out as Doc)[k] = walk(v, convert, nodes['*']);
    }
    return out;
  }
  if (keys.length === 0) {
    if (Array.isArray(obj)) return obj.filter((v) => !isFunction(v)).map((v) => walk(v, convert, null));
    const out: Doc = {};
    for (const [k, v] of Object.entries(obj as Doc)) {
      const converted = isFunction(v) ? undefined : walk(v, convert, null);
      if (converted !== undefined && !isFunction(converted)) out[k] = converted;
    }
    return out;
  }
  const source = obj as Doc;
  const out: Doc | unknown[] = Array.isArray(obj)
    ? obj.filter((v) => !isFunction(v))
    : Object.fromEntries(Object.entries(source).filter(([, v]) => !isFunction(v)));
  for (const [k, child] of Object.entries(nodes)) {
    if (isFunction(source[k])) continue;
    const converted = walk(source[k], convert, child);
    if (converted !== undefined) (out as Doc)[k] = converted;
  }
  return out;
}

/** lib-dynamodb's field trees of a command (read from an instance of its document command). */
function treesOf(name: Light) {
  const command = new COMMANDS[name]({} as never) as unknown as {
    inputKeyNodes: KeyNodes;
    outputKeyNodes: KeyNodes;
  };
  return { input: command.inputKeyNodes, output: command.outputKeyNodes };
}

export interface Codec {
  /** The document client's input as DynamoDB takes it. */
  readonly input: (input: Doc, options: MarshallOptions) => Doc;
  /** DynamoDB's output as the document client returns it. */
  readonly output: (output: Doc, options: UnmarshallOptions) => Doc;
}

/** The codec of a command the light path takes, or undefined (the SDK's path). */
export function codecOf(commandName: string | undefined): Codec | undefined {
  if (!commandName || !(commandName in COMMANDS)) return undefined;
  let codec = codecs.get(commandName);
  if (!codec) {
    codec = codecFor(commandName as Light);
    codecs.set(commandName, codec);
  }
  return codec;
}

/** Built once per command (a container's first call of it). */
const codecs = new Map<string, Codec>();
function codecFor(commandName: Light): Codec {
  const tree = treesOf(commandName);
  return {
    input: (input, options) => {
      const each = { ...options, convertTopLevelContainer: options.convertTopLevelContainer ?? true };
      const wire = walk(input, (v) => toWire(v, each), tree.input) as Doc;
      return commandName === 'TransactWriteItemsCommand'
        ? { ...wire, ClientRequestToken: wire.ClientRequestToken ?? randomUUID() }
        : wire;
    },
    output: (output, options) => {
      const each = { ...options, convertWithoutMapWrapper: options.convertWithoutMapWrapper ?? true };
      return walk(output, (v) => fromWire(v, each), tree.output) as Doc;
    },
  };
}

/** DynamoDB's operation name for the `X-Amz-Target` header: `PutItemCommand` → `PutItem`. */
export const operationOf = (commandName: string): string => commandName.replace(/Command$/, '');

/** JSON of a marshalled input: binary values as base64, as DynamoDB's JSON protocol sends them. */
export function toJson(wire: Doc): string {
  return JSON.stringify(wire, function (this: Doc, key: string, value: unknown) {
    const raw = this[key];
    if (raw instanceof ArrayBuffer) return Buffer.from(raw).toString('base64');
    return ArrayBuffer.isView(raw)
      ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')
      : value;
  });
}

/** An AttributeValue of `B` or `BS`: the only JSON object with that one key and a string (array) value. */
function reviveBinary(this: Doc, key: string, value: unknown): unknown {
  if ((key !== 'B' && key !== 'BS') || Object.keys(this).length !== 1) return value;
  const bytes = (v: unknown) => (typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'base64')) : v);
  return key === 'B' ? bytes(value) : Array.isArray(value) ? value.map(bytes) : value;
}

/** DynamoDB's JSON answer; binary values (base64 on the wire) become Uint8Array, as the SDK's. */
export function fromJson(text: string): Doc {
  if (text.length === 0) return {};
  return JSON.parse(text, /"BS?":/.test(text) ? reviveBinary : undefined) as Doc;
}
