/**
 * What a piece of work made the table read, in read units as DynamoDB reports them
 * (`ReturnConsumedCapacity`, no extra call). Inside `meterReads`, every read of the TableClient
 * (GetItem, Query, BatchGetItem) asks for its consumed capacity and adds it to the meter; outside,
 * nothing is asked. The rate limiter charges an expensive read action by what it read
 * (lambdas/shared/rate-limiter.ts `chargeReads`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Read units consumed so far by the metered work. */
export interface ReadMeter {
  units: number;
}

const meters = new AsyncLocalStorage<ReadMeter>();

/** Runs `work` with `meter` counting the read units of every table read it makes. */
export function meterReads<T>(meter: ReadMeter, work: () => Promise<T>): Promise<T> {
  return meters.run(meter, work);
}

/** `ReturnConsumedCapacity` for a read made under a meter; nothing otherwise. */
export function capacityAsked(): { ReturnConsumedCapacity?: 'TOTAL' } {
  return meters.getStore() ? { ReturnConsumedCapacity: 'TOTAL' } : {};
}

interface Consumed {
  readonly CapacityUnits?: number | undefined;
}

/** Books a read's reported consumed capacity (one, or BatchGetItem's list) to the current meter. */
export function bookReads(consumed: Consumed | readonly Consumed[] | undefined): void {
  const meter = meters.getStore();
  if (!meter || consumed === undefined) return;
  for (const c of Array.isArray(consumed) ? consumed : [consumed as Consumed])
    meter.units += c.CapacityUnits ?? 0;
}
