/**
 * The field types of the wire contract, as valibot schemas. Every request schema is built from these,
 * so each rule (what an id is, how long a text may be, what "clean" means) is written once.
 *
 * Error sentences are templates with a `{field}` placeholder: `issueSentence` fills in the path of
 * the field that failed (`"chatId"`, `"userIds[3]"`, `"attachments[0].uploadId"`), so every
 * `BAD_REQUEST` names exactly what to fix.
 */
import * as v from 'valibot';
import { custom } from './custom.ts';
import { FIELD, isAbsent } from './issues.ts';
import { LIMITS } from './limits.ts';

export { FIELD, issuePath, issueSentence } from './issues.ts';

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** `"{field}" is required.` when absent, else `"{field}" must be <what>, not <describe(input)>.` */
export const typeMessage =
  (what: string) =>
  (issue: v.BaseIssue<unknown>): string =>
    isAbsent(issue.input)
      ? `${FIELD} is required.`
      : `${FIELD} must be ${what}, not ${describe(issue.input)}.`;

/** Length in Unicode code points (what users count, and what JSON Schema's maxLength counts). */
export const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** At most `max` code points (JSON Schema `maxLength`). */
export const maxChars = (max: number) =>
  custom<string>(
    'max_chars',
    max,
    (s) => codePoints(s) <= max,
    `${FIELD} must be at most ${max} characters.`,
  );

const notBlank = custom<string>('not_blank', 1, (s) => s.trim().length > 0, `${FIELD} must not be empty.`);

const wellFormed = custom<string>(
  'well_formed',
  true,
  (s) => s.isWellFormed(),
  `${FIELD} contains invalid unicode (a lone surrogate).`,
);

/**
 * The characters no id may contain (control characters, `#`, and the noncharacters U+FFFE and U+FFFF,
 * which SQS refuses in a message body: an id travels in queued jobs and in keys that do); also the
 * authorizer's `sub` (lambdas/auth/verifier.ts). Not the envelope's `requestId`, which is only echoed
 * (lambdas/shared/frames.ts).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
export const ID_FORBIDDEN = /[\u0000-\u001f\u007f#\uFFFE\uFFFF]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: message text keeps only newline and tab
const TEXT_FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: names allow no control or bidi-override characters
const NAME_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * An identifier: 1–64 characters, no control characters, no `#` (our key separator), no U+FFFE or
 * U+FFFF, no leading or trailing spaces.
 */
export const id = v.pipe(
  v.string(typeMessage('a string')),
  v.minLength(1, `${FIELD} must not be empty.`),
  notBlank,
  maxChars(LIMITS.idMaxChars),
  wellFormed,
  custom<string>(
    'id_chars',
    'no control characters, # or noncharacters',
    (s) => !ID_FORBIDDEN.test(s),
    `${FIELD} contains characters that are not allowed.`,
  ),
  custom<string>(
    'id_trimmed',
    'no surrounding spaces',
    (s) => s.trim() === s,
    `${FIELD} must not start or end with spaces.`,
  ),
  v.description(
    'An opaque identifier: 1–64 characters, no control characters, no "#", no U+FFFE or U+FFFF, no leading or trailing spaces.',
  ),
);

/**
 * The clientMessageId prefix of the sends the server makes for scheduled messages
 * (`sched_<scheduledId>`): a client's send may not use it, so that no message of the client's can
 * pass for a scheduled one (its uploads, its de-duplication).
 */
export const SCHEDULED_SEND_PREFIX = 'sched_';

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CLIENT_ID_FORBIDDEN = /[\u0000-\u001f\u007f\uFFFE\uFFFF]/;

/**
 * A client's clientMessageId for `sendMessage` (and `scheduleMessage`): 1–64 characters, no control
 * characters, no U+FFFE or U+FFFF (SQS refuses them in the jobs a message travels in), not starting
 * with the reserved prefix. Unlike an id it may hold `#` and surrounding spaces: it is the last part
 * of its keys (`CMID#<senderId>#<clientMessageId>`, after a sender id that holds no `#`) and is only
 * ever looked up exactly, never by prefix nor split (lambdas/data/keys.ts).
 */
export const clientMessageId = v.pipe(
  v.string(typeMessage('a string')),
  v.minLength(1, `${FIELD} must not be empty.`),
  maxChars(LIMITS.idMaxChars),
  wellFormed,
  custom<string>(
    'client_id_chars',
    'no control characters or noncharacters',
    (s) => !CLIENT_ID_FORBIDDEN.test(s),
    `${FIELD} contains characters that are not allowed (control characters, U+FFFE or U+FFFF).`,
  ),
  custom<string>(
    'not_reserved',
    `not starting with "${SCHEDULED_SEND_PREFIX}"`,
    (s) => !s.startsWith(SCHEDULED_SEND_PREFIX),
    `${FIELD} must not start with "${SCHEDULED_SEND_PREFIX}" (reserved for scheduled messages).`,
  ),
  v.description(
    'Your id of the send, unique per chat: 1–64 characters, no control characters, no U+FFFE or U+FFFF, not starting with "sched_" ("#" and spaces are fine).',
  ),
);

/** Message text: 1–`max` characters, not blank, no control characters but newline and tab. */
export const messageText = (max: number = LIMITS.textMaxChars) =>
  v.pipe(
    v.string(typeMessage('a string')),
    v.minLength(1, `${FIELD} must not be empty.`),
    notBlank,
    maxChars(max),
    wellFormed,
    custom<string>(
      'clean_text',
      'no control characters but newline and tab',
      (s) => !TEXT_FORBIDDEN.test(s),
      `${FIELD} must not contain control characters (newline and tab are fine).`,
    ),
  );

/** A name (group name, file name): 1–`max` characters, no control or bidi-override characters. */
export const cleanName = (max: number) =>
  v.pipe(
    v.string(typeMessage('a string')),
    v.minLength(1, `${FIELD} must not be empty.`),
    notBlank,
    maxChars(max),
    wellFormed,
    custom<string>(
      'clean_name',
      'no control or bidirectional-override characters',
      (s) => !NAME_FORBIDDEN.test(s),
      `${FIELD} must not contain control or bidirectional-override characters.`,
    ),
  );

/** An integer in [min, max]. A number that is not one is named: `"limit" must be a whole number, not 2.5.` */
export const int = (min: number, max: number) =>
  v.pipe(
    v.number(typeMessage('an integer')),
    v.integer((issue) => `${FIELD} must be a whole number, not ${String(issue.input)}.`),
    v.minValue(min, `${FIELD} must be between ${min} and ${max}.`),
    v.maxValue(max, `${FIELD} must be between ${min} and ${max}.`),
  );

export const bool = v.boolean(typeMessage('true or false'));

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})/;

/**
 * Whether the date and time written (before the offset) exist: `Date.parse` moves an impossible one
 * on (2027-02-30 becomes 2027-03-02) instead of refusing it. The written fields are the wall-clock
 * time at the written offset, so they are compared with themselves rebuilt in UTC, whatever the
 * offset.
 */
function wallClockExists(s: string): boolean {
  const parts = WALL_CLOCK.exec(s)?.slice(1).map(Number);
  if (!parts) return false;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts;
  const built = new Date(0);
  built.setUTCFullYear(year, month - 1, day); // not Date.UTC, which takes years 0–99 as 19xx
  built.setUTCHours(hour, minute, second);
  return (
    built.getUTCFullYear() === year &&
    built.getUTCMonth() === month - 1 &&
    built.getUTCDate() === day &&
    built.getUTCHours() === hour &&
    built.getUTCMinutes() === minute &&
    built.getUTCSeconds() === second
  );
}

/** An ISO 8601 timestamp with a time zone (e.g. `2026-12-01T18:00:00Z`) of a date that exists. */
export const isoTime = v.pipe(
  v.string(typeMessage('an ISO 8601 time string')),
  v.maxLength(40, `${FIELD} must be an ISO 8601 time such as 2026-12-01T18:00:00Z.`),
  v.isoTimestamp(`${FIELD} must be an ISO 8601 time such as 2026-12-01T18:00:00Z.`),
  v.check(
    (s) => !Number.isNaN(Date.parse(s)),
    `${FIELD} must be an ISO 8601 time such as 2026-12-01T18:00:00Z.`,
  ),
  v.check(wallClockExists, `${FIELD} must be a date that exists (that month has fewer days).`),
);

/** One of a fixed set of strings. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  v.picklist(values, `${FIELD} must be ${values.map((x) => `"${x}"`).join(' or ')}.`);

/** A list of distinct ids, `min`–`max` long after duplicates are removed. */
export const idList = (min: number, max: number) =>
  v.pipe(
    v.array(id, typeMessage('an array of ids')),
    v.transform((ids) => [...new Set(ids)]),
    v.minLength(min, `${FIELD} must hold at least ${min} id${min === 1 ? '' : 's'}.`),
    v.maxLength(max, `${FIELD} must hold at most ${max} ids.`),
    v.description('Distinct ids (duplicates are dropped before counting).'),
  );

/**
 * A list of ids answered one by one in the order asked (`getPresence`): `min`–`max` long, duplicates
 * kept (and counted), so that the answer has one entry per id asked.
 */
export const askedIds = (min: number, max: number) =>
  v.pipe(
    v.array(id, typeMessage('an array of ids')),
    v.minLength(min, `${FIELD} must hold at least ${min} id${min === 1 ? '' : 's'}.`),
    v.maxLength(max, `${FIELD} must hold at most ${max} ids.`),
    v.description('Ids in the order asked; a repeated id is answered again where it is repeated.'),
  );

/** An optional field: absent and `null` are the same, and both become `undefined`. */
export const optional = <S extends v.GenericSchema>(schema: S) =>
  v.pipe(
    v.nullish(schema),
    v.transform((value): v.InferOutput<S> | undefined => value ?? undefined),
  );

/** An optional field with a default (absent or `null` take the default). */
export const withDefault = <S extends v.GenericSchema, D extends v.InferOutput<S>>(schema: S, fallback: D) =>
  v.nullish(schema, fallback);

/** A page's `cursor` field: optional, the `nextCursor` an earlier ack of `action` gave. */
export const pageCursor = (action: string) => {
  const message = `${FIELD} must be the nextCursor of an earlier ${action}.`;
  return optional(v.pipe(v.string(message), v.maxLength(LIMITS.cursorMaxChars, message)));
};
