/**
 * docs/protocol.md's example frames: every ```jsonl line, and every frame of the events table
 * (| `type` | `{"type":…}` | who receives it |), as text and parsed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const PROTOCOL_DOC = readFileSync(resolve(import.meta.dirname, '../../docs/protocol.md'), 'utf8');

export const exampleLines: readonly string[] = [
  ...[...PROTOCOL_DOC.matchAll(/```jsonl\n([\s\S]*?)```/g)].flatMap((m) =>
    (m[1] ?? '').split('\n').filter((l) => l.trim() !== ''),
  ),
  ...[...PROTOCOL_DOC.matchAll(/^\| `[a-z.]+` +\| `(\{"type":.*?\})` +\|/gm)].map((m) => m[1] ?? ''),
];

export const exampleFrames: readonly Record<string, unknown>[] = exampleLines.map(
  (line) => JSON.parse(line) as Record<string, unknown>,
);

export type Json = Record<string, unknown>;
export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every object nested in `value` (itself included). */
export const objectsIn = (value: unknown): Json[] =>
  Array.isArray(value)
    ? value.flatMap(objectsIn)
    : isObject(value)
      ? [value, ...Object.values(value).flatMap(objectsIn)]
      : [];
