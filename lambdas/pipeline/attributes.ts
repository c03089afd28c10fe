/**
 * Reads the DynamoDB attribute values of a stream record (`{ "S": "x" }`, `{ "N": "3" }`, nested maps
 * and lists, sets) into plain values, as the document client returns items. Numbers become JS numbers,
 * binary values Uint8Arrays (the record carries them base64-encoded) and sets `Set`s.
 */
import type { AttributeValue } from 'aws-lambda';
import type { Item } from '../data/item.ts';

export type WireImage = Readonly<Record<string, AttributeValue>>;

const bytes = (base64: string): Uint8Array => new Uint8Array(Buffer.from(base64, 'base64'));

/** One attribute value. Throws on a shape DynamoDB never sends. */
export function fromAttributeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return fromImage(value.M);
  if (value.L !== undefined) return value.L.map(fromAttributeValue);
  if (value.B !== undefined) return bytes(value.B);
  if (value.SS !== undefined) return new Set(value.SS);
  if (value.NS !== undefined) return new Set(value.NS.map(Number));
  if (value.BS !== undefined) return new Set(value.BS.map(bytes));
  throw new Error(`unknown attribute value ${JSON.stringify(value)}`);
}

/** A whole image (`NewImage`, `OldImage`, `Keys`) as an item. */
export function fromImage(image: WireImage): Item {
  const item: Item = {};
  for (const [name, value] of Object.entries(image)) item[name] = fromAttributeValue(value);
  return item;
}
