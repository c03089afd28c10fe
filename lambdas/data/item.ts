/**
 * How an item kind is declared: once, with its keys, its stored fields and how each field is read
 * back. The record type, the item writer (`toItem`) and the reader (`fromItem`) all come from that
 * one declaration (in the spirit of ElectroDB or dynamodb-toolbox, without the dependency).
 */
import type { Key } from './keys.ts';

/** A stored item as the document client reads and writes it. */
export type Item = Record<string, unknown>;

/** Reads one stored attribute back into its record value. */
type Field<T> = (value: unknown) => T;

/** The field readers of the record types. A field whose reader may give `undefined` is optional. */
export const field = {
  string: (value: unknown): string => String(value),
  /** A string, or null when the attribute is absent or not a string. */
  nullableString: (value: unknown): string | null => (typeof value === 'string' ? value : null),
  /** A string, or absent from the record. */
  optionalString: (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined),
  /** A number; an absent attribute reads as 0. */
  number: (value: unknown): number => Number(value ?? 0),
  /** A number, or absent from the record. */
  optionalNumber: (value: unknown): number | undefined =>
    value === undefined || value === null ? undefined : Number(value),
  /** `true` only when stored as the boolean true. */
  flag: (value: unknown): boolean => value === true,
  /** A number set (DynamoDB cannot store an empty set: absent means empty). */
  optionalNumberSet: (value: unknown): ReadonlySet<number> | undefined =>
    value instanceof Set ? new Set([...value].map(Number)) : undefined,
  /** A string set (DynamoDB cannot store an empty set: absent means empty). */
  optionalStringSet: (value: unknown): ReadonlySet<string> | undefined =>
    value instanceof Set ? new Set([...value].map(String)) : undefined,
  /** `true` when stored as the boolean true, otherwise absent from the record. */
  optionalTrue: (value: unknown): true | undefined => (value === true ? true : undefined),
  /** A map of numbers (e.g. user id → seq), or absent. */
  optionalNumberMap: (value: unknown): Readonly<Record<string, number>> | undefined =>
    value && typeof value === 'object' && !(value instanceof Set)
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, Number(v)]))
      : undefined,
  /** One of `values`; anything else reads as `fallback`. */
  oneOf:
    <const T extends string>(values: readonly T[], fallback: NoInfer<T>): Field<T> =>
    (value) =>
      values.includes(value as T) ? (value as T) : fallback,
} as const;

type Fields = Record<string, Field<unknown>>;
type Decoded<F extends Fields> = { [K in keyof F]: ReturnType<F[K]> };
type RequiredKey<F extends Fields> = {
  [K in keyof F]: undefined extends ReturnType<F[K]> ? never : K;
}[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The record type a field list declares (fields that may read as `undefined` are optional). */
export type RecordOf<F extends Fields> = Simplify<
  { readonly [K in RequiredKey<F>]: Decoded<F>[K] } & {
    readonly [K in Exclude<keyof F, RequiredKey<F>>]?: Exclude<Decoded<F>[K], undefined>;
  }
>;

/**
 * `K` is what the key is built from: by default the record itself; a kind whose key parts are not
 * stored as attributes (the clientMessageId claim) names them with an annotated `key` parameter.
 */
interface ItemDeclaration<F extends Fields, K> {
  /** Stored as `itemType` on every item of the kind (for people reading the table). */
  readonly itemType: string;
  readonly key: (ref: K) => Key;
  readonly fields: F;
  /** Attributes computed on write only (index keys, TTL). */
  readonly derived?: (record: RecordOf<F> & K) => Item;
}

interface ItemKind<F extends Fields, K = RecordOf<F>> extends ItemDeclaration<F, K> {
  /** The full item to Put: keys, derived attributes, the declared fields and `itemType`. */
  toItem(record: RecordOf<F> & K): Item;
  /** The record an item holds: declared fields only, each through its reader. */
  fromItem(item: Item): RecordOf<F>;
}

/** Declares an item kind; see the module comment. */
export function defineItem<F extends Fields, K = RecordOf<F>>(
  declaration: ItemDeclaration<F, K>,
): ItemKind<F, K> {
  const names = Object.keys(declaration.fields) as (keyof F & string)[];
  return {
    ...declaration,
    toItem(record) {
      const stored: Item = {};
      for (const name of names) stored[name] = (record as Item)[name];
      return {
        ...declaration.key(record),
        ...declaration.derived?.(record),
        ...stored,
        itemType: declaration.itemType,
      };
    },
    fromItem(item) {
      const record: Item = {};
      for (const name of names) {
        const value = (declaration.fields[name] as Field<unknown>)(item[name]);
        if (value !== undefined) record[name] = value;
      }
      return record as RecordOf<F>;
    },
  };
}

type WireValue = {
  S?: string;
  N?: string;
  BOOL?: boolean;
  NULL?: boolean;
  NS?: string[];
  SS?: string[];
  M?: Record<string, unknown>;
  L?: unknown[];
};

/** One attribute in the wire format: scalars, number and string sets, maps and lists (others are skipped). */
function fromWireValue(value: unknown): unknown {
  const v = value as WireValue;
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return Number(v.N);
  if (v.BOOL !== undefined) return v.BOOL;
  if (v.NULL) return null;
  if (v.NS !== undefined) return new Set(v.NS.map(Number));
  if (v.SS !== undefined) return new Set(v.SS);
  if (v.M !== undefined) return fromWireItem(v.M);
  // Lists (a message's attachments and reactions): a refused write's item must read back whole.
  if (v.L !== undefined) return v.L.map(fromWireValue);
  return undefined;
}

/**
 * Reads an item in the DynamoDB wire format (`{ seq: { N: '3' } }`), as failed conditions return it
 * with `ALL_OLD`: the document client does not convert error payloads.
 */
export function fromWireItem(wire: Record<string, unknown> | undefined): Item | undefined {
  if (!wire) return undefined;
  const item: Item = {};
  for (const [name, value] of Object.entries(wire)) {
    const read = fromWireValue(value);
    if (read !== undefined) item[name] = read;
  }
  return item;
}
