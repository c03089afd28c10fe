/** Fault injection: the next Management API posts fail with a chosen status instead of delivering. */
import type { InjectedFault } from './types.ts';

interface PendingFault {
  readonly status: number;
  remaining: number;
  readonly connectionId?: string;
}

export class FaultInjector {
  readonly #faults: PendingFault[] = [];

  inject(fault: InjectedFault): void {
    this.#faults.push({
      status: fault.status,
      remaining: fault.count ?? 1,
      ...(fault.connectionId ? { connectionId: fault.connectionId } : {}),
    });
  }

  clear(): void {
    this.#faults.length = 0;
  }

  /** The status the next post to `connectionId` must fail with, if a fault applies (used up once). */
  take(connectionId: string): number | undefined {
    const index = this.#faults.findIndex((f) => !f.connectionId || f.connectionId === connectionId);
    const fault = this.#faults[index];
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault.status;
  }
}
