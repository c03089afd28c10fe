/**
 * `react.emoji` is exactly one emoji (lambdas/contract/emoji.ts): what real clients send is taken
 * (RGI sequences, with or without VS16), words, markup, lone marks, joiners, private-use and other
 * symbols are refused with a sentence naming the field, and removing still takes anything clean (a
 * reaction stored before the rule can be taken back).
 */
import { describe, expect, it } from 'vitest';
import { react } from '../../lambdas/contract/actions/messages.ts';
import { isOneEmoji } from '../../lambdas/contract/emoji.ts';
import { parseRequest } from '../../lambdas/contract/parse.ts';
import { ChatError } from '../../lambdas/shared/errors.ts';

const ONE_EMOJI = 'BAD_REQUEST: "emoji" must be exactly one emoji, such as "👍".';

const reacting = (emoji: string, remove?: boolean): string => {
  try {
    parseRequest(react, { chatId: 'c1', messageId: 'm1', emoji, ...(remove ? { remove } : {}) });
    return 'accepted';
  } catch (error) {
    return error instanceof ChatError ? `${error.code}: ${error.message}` : 'THROWN';
  }
};

const ACCEPTED: [string, string][] = [
  ['👍', "a single emoji (the web page's only offer, QUICK_REACTION)"],
  ['❤️', 'a text-default emoji with VS16'],
  ['❤', 'the same without VS16, as many clients send it'],
  ['☺', 'another text-default emoji without VS16'],
  ['👍🏿', 'a skin tone'],
  ['👩🏽‍💻', 'a ZWJ sequence with a skin tone'],
  ['👨‍👩‍👧', 'a family'],
  ['🏳️‍🌈', 'a ZWJ sequence with VS16'],
  ['🏳‍🌈', 'the same without VS16'],
  ['🇫🇷', 'a flag'],
  ['🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}', 'a subdivision flag (tags)'],
  ['1️⃣', 'a keycap'],
  ['1\u20E3', 'a keycap without VS16'],
  ['©', 'a text-default emoji without VS16'],
];

const REFUSED: [string, string][] = [
  ['idiot', 'a word'],
  ['a', 'a letter'],
  ['1', 'a digit (an emoji code point)'],
  ['#', '"#" (an emoji code point)'],
  ['*', '"*" (an emoji code point)'],
  ['scam.example/x', 'a link'],
  ['<img/src=x>', 'markup'],
  ['\u0301', 'a combining accent alone'],
  ['\u0301'.repeat(32), '32 combining accents'],
  ['👍\u0301', 'an emoji with a combining accent'],
  ['👍👍', 'two emoji'],
  ['😀😀😀', 'three emoji'],
  ['👍\u200D👍', 'two emoji joined by a ZWJ that make no sequence'],
  ['\uE000', 'a private-use character'],
  ['\u{F0000}', 'a supplementary private-use character'],
  ['\uFDFD', 'U+FDFD'],
  ['\uFDFD'.repeat(32), '32 × U+FDFD'],
  ['\u200D', 'a ZWJ alone'],
  ['\uFE0F', 'VS16 alone'],
  ['\u20E3', 'a keycap mark alone'],
  ['a\uFE0F', 'a letter with VS16'],
  ['🇦', 'a regional indicator alone'],
];

describe('react.emoji: exactly one emoji', () => {
  it.each(ACCEPTED)('takes %j (%s)', (emoji) => {
    expect(isOneEmoji(emoji)).toBe(true);
    expect(reacting(emoji)).toBe('accepted');
  });

  it.each(REFUSED)('refuses %j (%s), naming the field', (emoji) => {
    expect(isOneEmoji(emoji)).toBe(false);
    expect(reacting(emoji)).toBe(ONE_EMOJI);
  });

  it('keeps the earlier rules: empty, too long, unclean', () => {
    expect(reacting('')).toBe('BAD_REQUEST: "emoji" must not be empty.');
    expect(reacting('😀'.repeat(33))).toBe('BAD_REQUEST: "emoji" must be at most 32 characters.');
    expect(reacting('👍 👍')).toBe('BAD_REQUEST: "emoji" must be an emoji.');
    expect(reacting('👍 👍', true)).toBe('BAD_REQUEST: "emoji" must be an emoji.');
  });

  it('lets a reaction stored before the rule be removed, not added', () => {
    expect(reacting('idiot', true)).toBe('accepted');
    expect(reacting('idiot')).toBe(ONE_EMOJI);
    expect(reacting('👍', true)).toBe('accepted');
  });
});
