/**
 * docs/security.md's per-user bound on what `sendMessage` makes the table read ("Reads are limited
 * too") follows from the code: its frames count by their audience (rate-limits.ts), and a message
 * reads its group's roster and head by docs/data-model.md's formula (⌈sockets / 40⌉ +
 * ½·⌈members / 20⌉), at most `socketsPerUser` sockets a member. The total of every action is the sum
 * of the parts the sentence names. And docs/data-model.md's cost row of `scheduleMessage` counts the
 * audience charge's write its limit makes. Changing a limit or a cap without the figures fails here.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../lambdas/contract/limits.ts';
import { RATE_LIMITS } from '../../lambdas/shared/rate-limits.ts';

const doc = (name: string) =>
  readFileSync(resolve(import.meta.dirname, `../../docs/${name}`), 'utf8').replace(/\s+/g, ' ');
const SECURITY = doc('security.md');
const figure = (n: number) => n.toLocaleString('en-US');

/** The most `sendMessage` makes the table read a minute, over every group size. */
function sendMessageReadsPerMinute(): number {
  const limit = RATE_LIMITS.sendMessage;
  if (!limit?.membersPerFrame) throw new Error('sendMessage counts by its audience');
  let most = 0;
  for (let members = 2; members <= LIMITS.groupMaxMembers; members++) {
    const sends = Math.floor(limit.max / Math.ceil(members / limit.membersPerFrame));
    const reads = Math.ceil((members * LIMITS.socketsPerUser) / 40) + 0.5 * Math.ceil(members / 20);
    most = Math.max(most, sends * reads);
  }
  return most;
}

describe('docs/security.md: what one user makes the table read', () => {
  it("states sendMessage's bound as its limits and the read formula make it", () => {
    const most = sendMessageReadsPerMinute();
    expect(most).toBe(16_500);
    expect(/at 60: ~([\d,]+) R a minute either way/.exec(SECURITY)?.[1]).toBe(figure(most));
  });

  it('totals the parts it names', () => {
    const match = /read at most about ([\d,]+) units a minute\*\* \(([\d,]+(?: \+ [\d,]+)+);/.exec(SECURITY);
    expect(match, 'the sentence of the total').not.toBeNull();
    const number = (s: string) => Number(s.replaceAll(',', ''));
    const parts = (match?.[2] ?? '').split(' + ').map(number);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(number(match?.[1] ?? ''));
    // The sendMessage part: its bound above, with the small fixed reads of each message.
    expect(parts).toContain(17_000);
  });
});

describe("docs/data-model.md: scheduleMessage's writes", () => {
  it('count the audience charge in a chat of more than membersPerFrame members', () => {
    const per = RATE_LIMITS.scheduleMessage?.membersPerFrame;
    expect(per).toBe(200);
    const row = /\| `scheduleMessage` +\|[^\n]*?\| (?=\| sweep)/.exec(doc('data-model.md'))?.[0] ?? '';
    expect(row).toContain(`in a chat of more than ${per} members the audience charge`);
  });
});
