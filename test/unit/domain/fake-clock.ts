/** The fake time of the domain unit tests: a fixed NOW and a clock that moves only when told. */
export const NOW = '2026-03-01T12:00:00.000Z';

/** The fake clock of every fake deps (one per test file, reset by `fakeDeps`). */
export const clock = {
  ms: Date.parse(NOW),
  advance(ms: number): void {
    clock.ms += ms;
  },
  /** A stand-in for `node:timers/promises`' setTimeout: time passes at once. */
  async sleep(ms: number): Promise<void> {
    clock.ms += Math.ceil(ms);
  },
};
