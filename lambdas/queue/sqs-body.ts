/**
 * The body of every message the product puts on SQS (fan-out and push jobs, retention jobs, due
 * scheduled messages): the job as JSON, with U+FFFE and U+FFFF written as `\ufffe` and `\uffff`.
 *
 * SQS takes only `#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF` in a body and
 * refuses anything else (`InvalidMessageContents`; in a batch, that entry). `JSON.stringify` already
 * escapes the control characters and lone surrogates, but writes the two noncharacters as they are,
 * and a message's text or a group's name may hold them (a stored id from before the contract refused
 * them too): the job carrying it would be refused, and its notifications, fan-out or expiry lost.
 * Escaped, the body is the same JSON: `JSON.parse` reads back the very same strings.
 */
const NONCHARACTERS = /[\uFFFE\uFFFF]/g;

/** `value` as a JSON message body SQS accepts. */
export function sqsBody(value: unknown): string {
  return JSON.stringify(value).replace(NONCHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}
