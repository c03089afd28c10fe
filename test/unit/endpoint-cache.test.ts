/**
 * The bundles' stand-in for `@aws-sdk/endpoint-cache` (lambdas/shared/endpoint-cache.ts) against the
 * real package, side by side: the same answers to the same operations, expiry and least-recently-used
 * eviction included.
 */
import { EndpointCache as Real } from '@aws-sdk/endpoint-cache';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EndpointCache as StandIn } from '../../lambdas/shared/endpoint-cache.ts';

afterEach(() => vi.useRealTimers());

type Op =
  | { op: 'set'; key: string; minutes: number[] }
  | { op: 'get' | 'getEndpoint' | 'has' | 'delete'; key: string }
  | { op: 'clear' }
  | { op: 'wait'; minutes: number };

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const ops = fc.array(
  fc.oneof(
    fc.record({
      op: fc.constant('set' as const),
      key,
      minutes: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
    }),
    fc.record({
      op: fc.constantFrom('get' as const, 'getEndpoint' as const, 'has' as const, 'delete' as const),
      key,
    }),
    fc.record({ op: fc.constant('clear' as const) }),
    fc.record({ op: fc.constant('wait' as const), minutes: fc.integer({ min: 0, max: 3 }) }),
  ),
  { maxLength: 40 },
);

/** Every endpoint of a key has one address, so getEndpoint's random pick is the same in both. */
function apply(cache: Real | StandIn, op: Op): unknown {
  switch (op.op) {
    case 'set':
      return cache.set(
        op.key,
        op.minutes.map((m) => ({ Address: `${op.key}.example`, CachePeriodInMinutes: m })),
      );
    case 'get':
      return cache.get(op.key);
    case 'getEndpoint':
      return cache.getEndpoint(op.key);
    case 'has':
      return cache.has(op.key);
    case 'delete':
      return cache.delete(op.key);
    case 'clear':
      return cache.clear();
    case 'wait':
      return vi.advanceTimersByTime(op.minutes * 60_000 + 1);
  }
}

describe('the endpoint cache stand-in', () => {
  it('answers every sequence of operations as the real cache does (capacity 3)', () => {
    fc.assert(
      fc.property(ops, (sequence) => {
        vi.useFakeTimers({ now: 0 });
        const real = new Real(3);
        const standIn = new StandIn(3);
        for (const op of sequence) {
          const expected = apply(real, op);
          if (op.op === 'wait') continue;
          expect(apply(standIn, op), JSON.stringify(op)).toEqual(expected);
        }
        for (const k of ['a', 'b', 'c', 'd', 'e']) expect(standIn.has(k)).toBe(real.has(k));
        vi.useRealTimers();
      }),
      { numRuns: 300 },
    );
  });

  it('evicts the least recently used key, a read counting as a use', () => {
    const cache = new StandIn(2);
    cache.set('a', [{ Address: 'a', CachePeriodInMinutes: 1 }]);
    cache.set('b', [{ Address: 'b', CachePeriodInMinutes: 1 }]);
    cache.get('a');
    cache.set('c', [{ Address: 'c', CachePeriodInMinutes: 1 }]);
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
    expect(() => new StandIn(0)).toThrow();
  });
});
