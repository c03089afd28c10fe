/** A minimal typed event emitter; a listener that throws is logged and never stops the others. */

export type Listener<T> = (value: T) => void;

/** The listeners of each event (a Map itself, not a field: a few bytes less of the bundle). */
export class Emitter<M extends object> extends Map<keyof M, Set<Listener<never>>> {
  constructor(private readonly error: (error: unknown) => void) {
    super();
  }

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof M>(name: K, listener: Listener<M[K]>): () => void {
    const set = this.get(name) ?? new Set();
    this.set(name, set.add(listener as Listener<never>));
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  emit<K extends keyof M>(name: K, value: M[K]): void {
    const set = this.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<M[K]>)(value);
      } catch (error) {
        this.error(error);
      }
    }
  }
}
