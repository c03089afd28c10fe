/**
 * The times in docs/protocol.md's examples and README.md, which a reader pastes: every example
 * schedule is one the server would have made (sendAt checked against its createdAt), each request's
 * time is answered in UTC, a muteChat example's `until` stays a year ahead (a past one is
 * BAD_REQUEST), and README.md shows `sendAt` as a placeholder: a fixed time is refused once it is
 * past or 30 days away. The examples' fields and values: doc-examples.test.ts.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Scheduled as ScheduledObject } from '../../lambdas/contract/index.ts';
import { sendAtRefusal } from '../../lambdas/domain/scheduled.ts';
import { exampleFrames as frames } from '../support/protocol-examples.ts';

const README = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');

/** The Scheduled objects an example holds: itself, or its `scheduled` (one or a list). */
const schedulesIn = (frame: Record<string, unknown>): ScheduledObject[] =>
  'scheduledId' in frame
    ? [frame as unknown as ScheduledObject]
    : ([] as ScheduledObject[]).concat((frame.scheduled as ScheduledObject | ScheduledObject[]) ?? []);

describe("the times in docs/protocol.md's examples", () => {
  it('every example schedule is one the server makes: sendAt in the 30 days after its createdAt', () => {
    const schedules = frames.flatMap(schedulesIn);
    expect(schedules.length).toBeGreaterThan(1);
    for (const s of schedules) {
      const refusal = sendAtRefusal(new Date(s.sendAt), new Date(s.createdAt));
      expect(refusal?.message, `${s.scheduledId} ${s.status}`).toBeUndefined();
    }
  });

  it('each scheduleMessage request example is answered with its sendAt, in UTC', () => {
    const requests = frames.filter((f) => f.action === 'scheduleMessage' && f.type === undefined);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      const ack = frames.find((f) => f.type === 'ack' && f.requestId === request.requestId);
      const [scheduled] = ack ? schedulesIn(ack) : [];
      expect(scheduled?.sendAt).toBe(new Date(String(request.sendAt)).toISOString());
    }
  });

  it('each muteChat request example mutes until a time still a year ahead, answered in UTC', () => {
    // A past `until` is BAD_REQUEST: the pasted example must work for a long while yet.
    const yearAhead = Date.now() + 365 * 24 * 3600 * 1000;
    const requests = frames.filter((f) => f.action === 'muteChat' && f.type === undefined && f.until);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      const until = new Date(String(request.until));
      expect(until.getTime(), String(request.until)).toBeGreaterThan(yearAhead);
      const ack = frames.find((f) => f.type === 'ack' && f.requestId === request.requestId);
      expect(ack?.mutedUntil).toBe(until.toISOString());
    }
  });

  it('README.md shows sendAt as a placeholder, never a fixed time', () => {
    const sendAts = [...README.matchAll(/"sendAt":"([^"]*)"/g)].map((m) => m[1]);
    expect(sendAts.length).toBeGreaterThan(0);
    for (const sendAt of sendAts) expect(sendAt).toMatch(/^<[^>]+>$/);
  });
});
