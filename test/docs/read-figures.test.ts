/**
 * docs/security.md's per-user bound on what `sendMessage` makes the table read ("Reads are limited
 * too") follows from the code: its frames count by their audience (rate-limits.ts), and a message
 * reads its group's roster and head by docs/data-model.md's formula (⌈sockets / 40⌉ +
 * ½·⌈members / 20⌉), at most `socketsPerUser` sockets a member. The total of every action is the sum
 * of the parts the sentence names, its first part the read actions': derived here from RATE_LIMITS
 * (`max × unitsPerFrame` of the metered reads, the fixed reads' named cost a frame at their limit),
 * as docs/performance.md says it too. And docs/data-model.md's cost row of `scheduleMessage` counts the
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

const number = (s: string) => Number(s.replaceAll(',', ''));
/** The doc's "about" figures: to the nearest thousand. */
const about = (n: number) => Math.round(n / 1000) * 1000;

/** What a metered read makes the table read a minute at most: `max × unitsPerFrame`. */
function meteredPerMinute(action: string): number {
  const limit = RATE_LIMITS[action];
  if (!limit?.unitsPerFrame) throw new Error(`${action} counts by what it reads`);
  return limit.max * limit.unitsPerFrame;
}

/** The reads that count by their units (rate-limits.ts `unitsPerFrame`), the table's five first. */
const METERED_READS = ['sync', 'history', 'getPresence', 'listChats', 'listScheduled', 'listBlocked'];

/**
 * The small fixed reads, one frame each, not metered: what a frame reads at most (named in the
 * paragraph) at their limit, and `listReports` (administrators only, a page of a few to ~30 R) as
 * the paragraph names it.
 */
function fixedReadsPerMinute(): Record<string, number> {
  const at = (action: string, units: number) => {
    const limit = RATE_LIMITS[action];
    if (!limit || limit.unitsPerFrame) throw new Error(`${action} is a fixed read, not metered`);
    return limit.max * units;
  };
  return { getChat: at('getChat', 40), getAttachmentUrl: at('getAttachmentUrl', 9), listReports: 1_000 };
}

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

  it("states the read actions' part as their limits make it", () => {
    const metered = Object.fromEntries(METERED_READS.map((a) => [a, meteredPerMinute(a)]));
    for (const [action, most] of Object.entries(metered).slice(0, 5)) {
      const row = new RegExp(`\\| \`${action}\` +\\| +[\\d,]+ R \\| +([\\d,]+) R \\|`).exec(SECURITY);
      expect(row?.[1], `the table's row of ${action}`).toBe(figure(most));
    }
    const five = METERED_READS.slice(0, 5).reduce((sum, a) => sum + (metered[a] ?? 0), 0);
    expect(/These five make ([\d,]+) R a minute at most/.exec(SECURITY)?.[1]).toBe(figure(five));
    const paragraph = /These five make .*?make the table read at most about ([\d,]+) units a minute/.exec(
      SECURITY,
    );
    expect(paragraph, 'the paragraph of the reads').not.toBeNull();
    const fixed = fixedReadsPerMinute();
    for (const [action, most] of Object.entries(fixed)) {
      expect(paragraph?.[0], action).toContain(`~${figure(most)} R`);
    }
    expect(paragraph?.[0]).toContain(`≤ ${figure(metered.listBlocked ?? 0)} R`);
    const reads = Object.values({ ...metered, ...fixed }).reduce((a, b) => a + b, 0);
    expect(number(paragraph?.[1] ?? '')).toBe(about(reads));
    // docs/performance.md says the same, part by part.
    const performance = doc('performance.md');
    const said = /actions make the table read at most about ([\d,]+) R a minute \(([^)]*)\)/.exec(
      performance,
    );
    expect(said?.[1], "performance.md's figure").toBe(figure(about(reads)));
    for (const [action, most] of Object.entries({ ...metered, ...fixed })) {
      expect(said?.[2], `performance.md's part of ${action}`).toMatch(
        new RegExp(`\`${action}\` [~≤ ]*${figure(most)}\\b`),
      );
    }
  });

  it('totals the parts it names, the reads part first', () => {
    const match = /read at most about ([\d,]+) units a minute\*\* \(([\d,]+(?: \+ [\d,]+)+);/.exec(SECURITY);
    expect(match, 'the sentence of the total').not.toBeNull();
    const parts = (match?.[2] ?? '').split(' + ').map(number);
    const total = parts.reduce((a, b) => a + b, 0);
    expect(total).toBe(number(match?.[1] ?? ''));
    const reads = number(
      /make the table read at most about ([\d,]+) units a minute\*\* \(an earlier/.exec(SECURITY)?.[1] ?? '',
    );
    expect(parts[0], "the read actions' part").toBe(reads);
    // The sendMessage part: its bound above, with the small fixed reads of each message.
    expect(parts).toContain(17_000);
    // docs/performance.md's total is the same.
    expect(
      /one user can make the table read about ([\d,]+) R a minute at worst/.exec(doc('performance.md'))?.[1],
    ).toBe(figure(total));
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
