/**
 * The golden fixtures of forms older releases wrote (test/fixtures/old-forms/: one file per release,
 * emitted by running that release's own code): queue bodies and table items, each with the file that
 * wrote it and what head must do with it. test/unit/old-forms-*.test.ts check head against them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OldBody {
  readonly commit: string;
  readonly name: string;
  readonly writer: string;
  readonly head: string;
  readonly body: string;
}

export interface OldItem {
  readonly commit: string;
  readonly name: string;
  readonly writer: string;
  readonly head: string;
  readonly item: Record<string, unknown>;
}

export interface OldRelease {
  readonly commit: string;
  readonly committed: string;
  /** Epoch seconds when its items were written (a socket's TTL counts from then). */
  readonly writtenAt?: number;
  readonly ids?: Readonly<
    Record<
      'group' | 'direct' | 'scheduledId' | 'cancelledId' | 'deviceId' | 'reportId' | 'bobConnection',
      string
    >
  >;
  readonly queue: readonly OldBody[];
  readonly items?: readonly OldItem[];
}

const DIR = join(import.meta.dirname, '..', 'fixtures', 'old-forms');

/** One release's fixture file. */
export const oldRelease = (commit: string): OldRelease =>
  JSON.parse(readFileSync(join(DIR, `${commit}.json`), 'utf8')) as OldRelease;

/** The releases whose items and queue bodies head must read (the receipt jobs' release has bodies only). */
export const OLD_RELEASES = ['c7b8dde', '6a65ccc'] as const;

/** The body of `name` in `release`; throws when the fixture has none (a fixture edited away). */
export function bodyOf(release: OldRelease, name: string): string {
  const found = release.queue.find((q) => q.name === name);
  if (!found) throw new Error(`${release.commit}.json has no queue body ${name}`);
  return found.body;
}

/** The item `name` of `release`; throws when the fixture has none. */
export function itemOf(release: OldRelease, name: string): Record<string, unknown> {
  const found = release.items?.find((i) => i.name === name);
  if (!found) throw new Error(`${release.commit}.json has no item ${name}`);
  return found.item;
}
