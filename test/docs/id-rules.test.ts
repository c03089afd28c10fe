/**
 * Every rule the contract's `id` schema (lambdas/contract/fields.ts) enforces is stated wherever the
 * documentation gives the id rules: docs/protocol.md's Connecting (user ids, the token's `sub`), its
 * Errors (`BAD_REQUEST`) and Limits rows, createChat's `clientChatId`, and README.md's token rules. A
 * rule added to the schema fails here until it has a phrase, and a phrase missing from one of those
 * places fails too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { id } from '../../lambdas/contract/fields.ts';
import { PROJECT_ROOT } from '../../lib/chat-function.ts';

const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8');
const PROTOCOL = read('docs/protocol.md');
const README = read('README.md');
/** Prose with its line breaks as spaces (a sentence may wrap). */
const prose = (text: string) => text.replace(/\s+/g, ' ');

/** The schema's parts that are not id rules of their own (the type, emptiness, valid UTF-16, a note). */
const NOT_A_RULE = new Set(['string', 'min_length', 'not_blank', 'well_formed', 'description']);

/** Each rule: what the documentation says of it, and an id it refuses (to prove the rule is real). */
const RULES: Record<string, { readonly says: readonly string[]; readonly refuses: string }> = {
  max_chars: { says: ['64'], refuses: 'x'.repeat(65) },
  id_chars: { says: ['control characters', '`#`', 'U+FFFE', 'U+FFFF'], refuses: 'a#b' },
  id_trimmed: { says: ['leading or trailing spaces'], refuses: ' sp' },
};

/** The text between `from` and the first `to` after it. */
function between(text: string, from: string, to: string): string {
  const start = text.indexOf(from);
  expect(start, from).toBeGreaterThanOrEqual(0);
  const end = text.indexOf(to, start + from.length);
  return text.slice(start, end < 0 ? undefined : end);
}

const PLACES: Record<string, string> = {
  'docs/protocol.md Connecting (user ids)': between(prose(PROTOCOL), 'User ids are', '. '),
  'docs/protocol.md Errors (BAD_REQUEST)': between(PROTOCOL, '| `BAD_REQUEST`', '\n'),
  'docs/protocol.md Limits (ids)': between(PROTOCOL, '| ids (`chatId`', '\n'),
  'docs/protocol.md createChat (clientChatId)': between(
    prose(PROTOCOL),
    'Optional `clientChatId` (',
    'recommended',
  ),
  'README.md (the token’s sub)': between(prose(README), '`sub` is the user id (', ')'),
};

describe('the id rules, as the documentation states them', () => {
  it('names a phrase for every rule of the id schema, and each rule refuses its example', () => {
    const rules = id.pipe.map((item) => item.type).filter((type) => !NOT_A_RULE.has(type));
    expect(rules.sort()).toEqual(Object.keys(RULES).sort());
    for (const [rule, { refuses }] of Object.entries(RULES)) expect(v.is(id, refuses), rule).toBe(false);
  });

  it.each(Object.keys(PLACES))('%s states every rule', (place) => {
    const text = PLACES[place] ?? '';
    const missing = Object.values(RULES).flatMap((r) => r.says.filter((phrase) => !text.includes(phrase)));
    expect(missing, text).toEqual([]);
  });
});
