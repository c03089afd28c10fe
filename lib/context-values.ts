/** Reading CDK context values (lib/context.ts): one key at a time, with the key named in every error. */

/** A context lookup: `node.tryGetContext` or a test's map. */
export type Lookup = (key: string) => unknown;

export function str(lookup: Lookup, key: string): string | undefined {
  const v = lookup(key);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new Error(`context ${key} must be a string`);
  return v;
}

export function bool(lookup: Lookup, key: string, fallback: boolean): boolean {
  const v = lookup(key);
  if (v === undefined || v === null || v === '') return fallback;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new Error(`context ${key} must be true or false`);
}
