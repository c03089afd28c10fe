/**
 * The figures docs/protocol.md gives a client to act on are the server's own: each is read from the
 * sentence that states it and compared with the constant the code uses, so that changing one without
 * the other fails here.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WRITE_TIMING, settleWindowMs } from '../../lambdas/domain/timing.ts';

const DOC = readFileSync(resolve(import.meta.dirname, '../../docs/protocol.md'), 'utf8');

/** The text of the `### name` section, up to the next heading of any level. */
function section(name: string): string {
  const start = DOC.search(new RegExp(`^### ${name}\\b`, 'm'));
  expect(start, `### ${name}`).toBeGreaterThanOrEqual(0);
  const rest = DOC.slice(start + 4);
  const end = rest.search(/^#{1,3} /m);
  return end < 0 ? rest : rest.slice(0, end);
}

const seconds = (ms: number) => `${ms / 1000} s`;

describe('docs/protocol.md states the figures the server uses', () => {
  it("sync: a busy chat's page moves on once its changes settle, after the write deadline and the skew margin", () => {
    const sync = section('sync').replace(/\s+/g, ' ');
    const busy = /\(a busy chat\)[^.]*\./.exec(sync)?.[0] ?? '';
    expect(busy).toContain(`settled ${seconds(settleWindowMs(DEFAULT_WRITE_TIMING))} after it was written`);
    expect(busy).toContain(
      `the ${seconds(DEFAULT_WRITE_TIMING.writeDeadlineMs)} write deadline plus ${seconds(DEFAULT_WRITE_TIMING.skewMarginMs)} for clock skew`,
    );
  });
});
