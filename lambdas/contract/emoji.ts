/**
 * What one emoji is, for `react.emoji`: one of Unicode's recommended emoji (RGI: a single emoji, a
 * skin-tone, flag, keycap, tag or ZWJ sequence), as clients send it with or without the VS16
 * (U+FE0F) that asks for emoji presentation ("❤" and "❤️" both count), or a single pictograph the
 * engine's Unicode data may not know yet as an emoji. Letters, digits, "#" and "*" alone (which are
 * emoji code points too), two emoji, joiners or combining marks alone, private-use and other
 * symbols are not.
 */

/**
 * Written with `new RegExp` because the type checker refuses the `v` flag (needed for properties
 * of strings such as RGI_Emoji) below an ES2024 target; Node 20 and the Lambda's Node 24 run it.
 */
// biome-ignore lint/complexity/useRegexLiterals: the v flag is refused in a literal below ES2024.
const RGI_EMOJI = new RegExp('^\\p{RGI_Emoji}$', 'v');
/** A pictographic code point (never a letter, digit, "#", "*" or regional indicator), VS16 or not. */
const PICTOGRAPH = /^\p{Extended_Pictographic}\uFE0F?$/u;
/** A text-default emoji code point not already followed by VS16 or a skin tone. */
const TEXT_DEFAULT = /(?!\p{Emoji_Presentation})(\p{Extended_Pictographic})(?![\uFE0F\p{Emoji_Modifier}])/gu;
/** A keycap written without VS16 ("1⃣"). */
const BARE_KEYCAP = /^([0-9#*])\u20E3$/u;

/** The fully-qualified form: VS16 after each text-default emoji code point and in a keycap. */
export function qualified(s: string): string {
  return s.replace(TEXT_DEFAULT, '$1\uFE0F').replace(BARE_KEYCAP, '$1\uFE0F\u20E3');
}

/** True for exactly one emoji (see above). */
export function isOneEmoji(s: string): boolean {
  return RGI_EMOJI.test(s) || RGI_EMOJI.test(qualified(s)) || PICTOGRAPH.test(s);
}
