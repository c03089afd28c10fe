/** A simple text progress bar on stderr: redrawn in place on a terminal, one line per step otherwise. */
const WIDTH = 30;

export class Progress {
  readonly #tty = Boolean(process.stderr.isTTY);
  #lastLine = '';
  #lastPrintAt = 0;
  readonly #started = Date.now();

  /** Updates the bar: `fraction` of the whole run done, `label` what runs now. */
  update(fraction: number, label: string): void {
    const f = Math.min(1, Math.max(0, fraction));
    const filled = Math.round(f * WIDTH);
    const elapsed = ((Date.now() - this.#started) / 1000).toFixed(0).padStart(4);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.round(f * 100)).padStart(3)}% ${elapsed}s  ${label}`;
    if (line === this.#lastLine) return;
    if (this.#tty) {
      process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    } else if (Date.now() - this.#lastPrintAt > 2000 || !this.#lastLine.endsWith(label)) {
      process.stderr.write(`${line}\n`);
      this.#lastPrintAt = Date.now();
    }
    this.#lastLine = line;
  }

  /** Prints a note on its own line without breaking the bar. */
  note(text: string): void {
    if (this.#tty) process.stderr.write(`\r\x1b[2K${text}\n${this.#lastLine}`);
    else process.stderr.write(`${text}\n`);
  }

  done(): void {
    if (this.#tty) process.stderr.write('\n');
  }
}

/**
 * The run's phases with their weights (expected share of the run time), so one bar covers all.
 */
export class Phases {
  readonly #weights: Map<string, number>;
  readonly #total: number;
  #doneWeight = 0;
  #current: string | undefined;
  #currentAt = 0;
  /** Seconds each phase took. */
  readonly seconds: Record<string, number> = {};

  constructor(
    readonly progress: Progress,
    weights: Record<string, number>,
  ) {
    this.#weights = new Map(Object.entries(weights));
    this.#total = [...this.#weights.values()].reduce((a, b) => a + b, 0) || 1;
  }

  /** Starts `name`; the previous phase counts as done. */
  start(name: string, label = name): void {
    this.#close();
    this.#current = name;
    this.#currentAt = performance.now();
    this.progress.update(this.#doneWeight / this.#total, label);
  }

  /** Progress within the current phase (0..1). */
  tick(fraction: number, label: string): void {
    const w = this.#current ? (this.#weights.get(this.#current) ?? 0) : 0;
    this.progress.update((this.#doneWeight + w * Math.min(1, fraction)) / this.#total, label);
  }

  #close(): void {
    if (!this.#current) return;
    this.#doneWeight += this.#weights.get(this.#current) ?? 0;
    this.seconds[this.#current] = Math.round((performance.now() - this.#currentAt) / 100) / 10;
    this.#current = undefined;
  }

  finish(): void {
    this.#close();
    this.progress.update(1, 'done');
    this.progress.done();
  }
}
