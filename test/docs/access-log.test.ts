/**
 * The API Gateway access log as documented: docs/operations.md names every field of its format
 * (lib/chat-api-props.ts), and docs/security.md says which of them are personal data (the client's IP
 * address and User-Agent, the user id) and how long they are kept, as it does for the media bucket's
 * server access logs. The retentions themselves are the stack's: test/cdk/stack-resources.test.ts
 * (30 days) and test/cdk/media.test.ts (90 days).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACCESS_LOG_FORMAT } from '../../lib/chat-api-props.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

const doc = (name: string) => readFileSync(join(PROJECT_ROOT, 'docs', name), 'utf8');

/** The text from `start` (a heading or a sentence's start) to the next `## ` heading. */
function section(text: string, start: string): string {
  const at = text.indexOf(start);
  expect(at, start).toBeGreaterThanOrEqual(0);
  const end = text.indexOf('\n## ', at + start.length);
  return text.slice(at, end < 0 ? undefined : end);
}

const FIELDS = Object.keys(JSON.parse(ACCESS_LOG_FORMAT.toString()) as Record<string, string>);
/** The fields that say who (the user id) and from where (IP address, browser or app). */
const PERSONAL = ['sourceIp', 'userAgent', 'principalId'];

describe('the access log’s documentation', () => {
  it('docs/operations.md names every field of the access log format', () => {
    expect(FIELDS).toEqual(expect.arrayContaining(PERSONAL));
    const text = section(doc('operations.md'), "The stage's **access log**");
    expect(FIELDS.filter((f) => !text.includes(`\`${f}\``))).toEqual([]);
    expect(text).toContain('30 days');
  });

  it('docs/security.md says the personal data the logs keep, and for how long', () => {
    const text = section(doc('security.md'), '## Personal data in logs');
    expect(PERSONAL.filter((f) => !text.includes(`\`${f}\``))).toEqual([]);
    // The access log's retention, and the media bucket's server access logs (they hold IPs too).
    expect(text).toContain('30 days');
    expect(text).toContain('90 days');
  });
});
