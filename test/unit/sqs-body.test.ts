/**
 * The body of every queued job (lambdas/queue/sqs-body.ts): within the characters SQS takes
 * (`#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF`), and the same JSON, whatever
 * the strings in the job hold (a group named with U+FFFF, a frame carrying it, a stored key).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sqsBody } from '../../lambdas/queue/sqs-body.ts';

const OUTSIDE_SQS_SET = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

describe('sqsBody', () => {
  it('escapes the noncharacters JSON.stringify leaves as they are; JSON.parse reads back the same job', () => {
    const job = { title: 'Plans \uFFFF', frame: JSON.stringify({ text: 'x\uFFFE\uFFFF\u0007\ud800' }) };
    expect(OUTSIDE_SQS_SET.test(JSON.stringify(job))).toBe(true);
    const body = sqsBody(job);
    expect(body).toContain('Plans \\uffff');
    expect(OUTSIDE_SQS_SET.test(body)).toBe(false);
    expect(JSON.parse(body)).toEqual(job);
  });

  it('any string in a job: a body SQS takes, read back unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary' }), { maxLength: 4 }),
        fc.string({ unit: fc.constantFrom('\uFFFE', '\uFFFF', '\ud800', '\u0000', 'a', '😀') }),
        (strings, odd) => {
          const job = { strings, odd, nested: JSON.stringify({ odd }) };
          const body = sqsBody(job);
          expect(OUTSIDE_SQS_SET.test(body)).toBe(false);
          expect(JSON.parse(body)).toEqual(job);
        },
      ),
    );
  });
});
