/**
 * Every rule the contract's `id` schema (lambdas/contract/fields.ts) enforces is stated wherever the
 * documentation gives the id rules: docs/protocol.md's Connecting (user ids, the token's `sub`), its
 * Errors (`BAD_REQUEST`) and Limits rows, createChat's `clientChatId`, and README.md's token rules. A
 * rule added to the schema fails here until it has a phrase, and a phrase missing from one of those
 * places fails too. The same holds for `clientMessageId`'s own rules (it may hold `#` and spaces:
 * lambdas/contract/fields.ts) in sendMessage's fields and its Limits row.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { clientMessageId, id } from '../../lambdas/contract/fields.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

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

/** clientMessageId's rules: what the documentation says of each, and a value it refuses. */
const CLIENT_ID_RULES: Record<string, { readonly says: readonly string[]; readonly refuses: string }> = {
  max_chars: { says: ['1–64 chars'], refuses: 'x'.repeat(65) },
  client_id_chars: { says: ['control characters', 'U+FFFE', 'U+FFFF'], refuses: 'a\u0007b' },
  not_reserved: { says: ['`sched_`'], refuses: 'sched_1' },
};

const CLIENT_ID_PLACES: Record<string, string> = {
  'docs/protocol.md sendMessage (clientMessageId)': between(
    prose(PROTOCOL),
    'optional `clientMessageId` (',
    ')',
  ),
  'docs/protocol.md Limits (clientMessageId)': between(PROTOCOL, '| `clientMessageId`', '\n'),
};

describe('the clientMessageId rules, as the documentation states them', () => {
  it('names a phrase for every rule of its schema; each refuses its example, and "#" and spaces pass', () => {
    const rules = clientMessageId.pipe.map((item) => item.type).filter((type) => !NOT_A_RULE.has(type));
    expect(rules.sort()).toEqual(Object.keys(CLIENT_ID_RULES).sort());
    for (const [rule, { refuses }] of Object.entries(CLIENT_ID_RULES))
      expect(v.is(clientMessageId, refuses), rule).toBe(false);
    for (const ok of ['draft#7', ' a b ', '#']) expect(v.is(clientMessageId, ok), ok).toBe(true);
  });

  it.each(Object.keys(CLIENT_ID_PLACES))('%s states every rule, and that # is allowed', (place) => {
    const text = CLIENT_ID_PLACES[place] ?? '';
    const missing = Object.values(CLIENT_ID_RULES).flatMap((r) => r.says.filter((p) => !text.includes(p)));
    expect(missing, text).toEqual([]);
    expect(text).toMatch(/`#` and spaces (are )?allowed/);
  });
});
