/**
 * Cleaning names that do not come through frames (issue 17, item 7): display names from tokens and
 * the names of groups that `invite` on a direct chat builds from display names. A frame's names are
 * refused when unclean (lambdas/contract/fields.ts); these cannot be refused, so they are cleaned
 * (and so is a pre-send hook's refusal sentence, lambdas/domain/hooks.ts `refusalSentence`):
 * ANSI escape sequences, control characters, bidirectional overrides and isolates, and lone surrogates
 * are removed, runs of spaces collapse, and the result is cut by code points (never half a pair).
 * Nothing printable left: undefined (the caller falls back to a neutral name, `fallbackName`).
 */
import { createHash } from 'node:crypto';

/** The neutral display name of a user without one: `User ` and 4 hex digits of a hash of the id. */
export function fallbackName(userId: string): string {
  return `User ${createHash('sha256').update(userId).digest('hex').slice(0, 4)}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: removing escape sequences is the point
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function cleanName(raw: string, maxChars: number): string | undefined {
  const cleaned = raw
    .replace(LONE_SURROGATE, '')
    .replace(ANSI, '')
    .replace(UNSAFE, '')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = [...cleaned].slice(0, maxChars).join('').trim();
  return cut.length > 0 ? cut : undefined;
}
