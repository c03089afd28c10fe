/**
 * Writes the replica's batches to the store one at a time, in order (replica.ts builds them). While
 * a save is in flight the replica builds no batch (except one that must stand alone): what changes
 * meanwhile goes in one batch once the save is written, so a burst costs a few saves, not one per
 * change, and a slow store gets fewer, larger batches.
 */
import type { ClientStore, StoreChanges } from './store.ts';

export class StoreWriter {
  readonly #batches: StoreChanges[] = [];
  #waiters: [batch: number, resolve: () => void][] = [];
  /** The save in flight. */
  saving: Promise<void> | undefined;
  /** Batches built, and written (or failed), counting from 1. */
  built = 0;
  #written = 0;

  constructor(
    private readonly store: ClientStore,
    private readonly error: (error: unknown) => void,
    /** A save was written: the replica may build the next batch. */
    private readonly next: () => void,
  ) {}

  push(changes: StoreChanges): void {
    this.#batches.push(changes);
    this.built++;
    this.#write();
  }

  /** Resolves once `batch` is written (or failed to be). */
  until(batch: number): Promise<void> {
    return batch <= this.#written
      ? Promise.resolve()
      : new Promise((resolve) => this.#waiters.push([batch, resolve]));
  }

  #write(): void {
    const changes = this.saving ? undefined : this.#batches.shift();
    if (!changes) return;
    this.saving = Promise.resolve()
      .then(() => this.store.save(changes))
      .catch(this.error)
      .then(() => {
        this.saving = undefined;
        const written = ++this.#written;
        for (const [batch, resolve] of this.#waiters) if (batch <= written) resolve();
        this.#waiters = this.#waiters.filter(([batch]) => batch > written);
        this.#write();
        this.next();
      });
  }
}
