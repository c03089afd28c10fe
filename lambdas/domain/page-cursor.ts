/**
 * A page's cursor: the order key of its last item as base64url JSON of short named strings, opaque
 * to clients (`listChats`, `listScheduled`). A cursor the server did not give is BAD_REQUEST naming
 * the field.
 */
import { badRequest } from '../shared/errors.ts';

export function encodeKeyCursor(fields: Readonly<Record<string, string>>): string {
  return Buffer.from(JSON.stringify(fields)).toString('base64url');
}

/**
 * The key's fields, each a non-empty string; BAD_REQUEST for anything else. An `optional` field may
 * be missing (a cursor given before it was added); when present it is a non-empty string too.
 */
export function decodeKeyCursor<N extends string, O extends string = never>(
  cursor: string,
  names: readonly N[],
  action: string,
  optional: readonly O[] = [],
): Record<N, string> & Partial<Record<O, string>> {
  const bad = () => badRequest(`"cursor" must be the nextCursor of an earlier ${action}.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const fields = (parsed ?? {}) as Record<string, unknown>;
  const key = {} as Record<N, string> & Partial<Record<O, string>>;
  for (const name of [...names, ...optional]) {
    const value = fields[name];
    if (value === undefined && (optional as readonly string[]).includes(name)) continue;
    if (typeof value !== 'string' || value === '') throw bad();
    (key as Record<string, string>)[name] = value;
  }
  return key;
}
