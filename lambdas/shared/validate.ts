/**
 * Small, dependency-free validators for frame fields. Each throws a `BAD_REQUEST` ChatError with a
 * sentence naming the field, so clients learn exactly what to fix.
 */
import { badRequest } from './errors.ts';

export type Fields = Readonly<Record<string, unknown>>;

export const MAX_ID_LENGTH = 64;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface StringRule {
  readonly min?: number;
  readonly max?: number;
}

/** A required string field (trimmed length checks apply to `min`). */
export function requiredString(fields: Fields, name: string, rule: StringRule = {}): string {
  const value = fields[name];
  if (value === undefined || value === null) throw badRequest(`"${name}" is required.`);
  return checkString(name, value, rule);
}

export function optionalString(fields: Fields, name: string, rule: StringRule = {}): string | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  return checkString(name, value, rule);
}

function checkString(name: string, value: unknown, { min = 1, max = MAX_ID_LENGTH }: StringRule): string {
  if (typeof value !== 'string') throw badRequest(`"${name}" must be a string, not ${describe(value)}.`);
  const length = [...value].length;
  if (length < min || (min > 0 && value.trim().length === 0)) {
    throw badRequest(`"${name}" must not be empty.`);
  }
  if (length > max) throw badRequest(`"${name}" must be at most ${max} characters.`);
  if (!value.isWellFormed()) throw badRequest(`"${name}" contains invalid unicode (a lone surrogate).`);
  return value;
}

/** An identifier: 1–64 characters, no control characters and no `#` (our key separator). */
export function requiredId(fields: Fields, name: string): string {
  return checkId(name, requiredString(fields, name));
}

export function optionalId(fields: Fields, name: string): string | undefined {
  const value = optionalString(fields, name);
  return value === undefined ? undefined : checkId(name, value);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const BAD_ID_CHARS = /[\u0000-\u001f\u007f#]/;

export function checkId(name: string, value: string): string {
  if (BAD_ID_CHARS.test(value)) throw badRequest(`"${name}" contains characters that are not allowed.`);
  if (value.trim() !== value) throw badRequest(`"${name}" must not start or end with spaces.`);
  return value;
}

export function optionalInt(fields: Fields, name: string, min: number, max: number): number | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw badRequest(`"${name}" must be an integer, not ${describe(value)}.`);
  }
  if (value < min || value > max) throw badRequest(`"${name}" must be between ${min} and ${max}.`);
  return value;
}

export function optionalBoolean(fields: Fields, name: string): boolean | undefined {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean')
    throw badRequest(`"${name}" must be true or false, not ${describe(value)}.`);
  return value;
}

/** A required array of distinct ids, `min`–`max` long (duplicates are removed before counting). */
export function requiredIdArray(fields: Fields, name: string, min: number, max: number): string[] {
  const value = fields[name];
  if (value === undefined || value === null) throw badRequest(`"${name}" is required.`);
  if (!Array.isArray(value)) throw badRequest(`"${name}" must be an array of ids, not ${describe(value)}.`);
  if (value.length > max * 2) throw badRequest(`"${name}" must hold at most ${max} ids.`);
  const ids = value.map((item, i) => {
    if (typeof item !== 'string')
      throw badRequest(`"${name}[${i}]" must be a string, not ${describe(item)}.`);
    return checkId(`${name}[${i}]`, checkString(`${name}[${i}]`, item, {}));
  });
  const distinct = [...new Set(ids)];
  if (distinct.length < min)
    throw badRequest(`"${name}" must hold at least ${min} id${min === 1 ? '' : 's'}.`);
  if (distinct.length > max) throw badRequest(`"${name}" must hold at most ${max} ids.`);
  return distinct;
}
