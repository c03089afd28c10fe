/**
 * When the page stops retrying handshakes that never open (web/src/refusals.ts): only after several
 * in a row that each failed fast, spanning some time, so a brief outage or a server restarting signs
 * nobody out. Times are given, not waited for.
 */
import { describe, expect, it } from 'vitest';
import { REFUSALS, Refusals } from '../../web/src/refusals.ts';

describe('Refusals', () => {
  const { count, fastMs, spanMs } = REFUSALS;

  it('gives up after `count` fast failures in a row spanning `spanMs`, not before', () => {
    const r = new Refusals();
    const step = spanMs / (count - 1);
    for (let i = 0; i < count - 1; i++) expect(r.failed(10, i * step)).toBe(false);
    expect(r.failed(10, spanMs)).toBe(true);
  });

  it('keeps trying while the failures come quickly (the client backing off from 0 ms): the span counts', () => {
    const r = new Refusals();
    for (let i = 0; i < count * 3; i++) expect(r.failed(10, i * 100)).toBe(false);
    expect(r.failed(10, spanMs)).toBe(true);
  });

  it('a slow failure (a network that is not there) or a socket that opened starts the count again', () => {
    const r = new Refusals();
    for (let i = 0; i < count - 1; i++) r.failed(10, i * 1000);
    expect(r.failed(fastMs + 1, spanMs)).toBe(false);
    expect(r.failed(10, spanMs + 1)).toBe(false);
    for (let i = 0; i < count - 1; i++) r.failed(10, spanMs * 2 + i);
    r.reset();
    expect(r.failed(10, spanMs * 4)).toBe(false);
  });
});
