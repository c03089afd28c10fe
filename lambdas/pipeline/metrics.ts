/**
 * Counters as CloudWatch metrics, without a client or a library: on Lambda one Embedded Metric
 * Format line per flush goes to stdout, and CloudWatch Logs turns it into metrics (namespace from
 * `METRICS_NAMESPACE`, set by the stack). Elsewhere (`npm run dev`, tests) the counts are kept in
 * memory and can be read with `metricTotals()`.
 */
import { readingEnv } from '../shared/env-use.ts';

const onLambda = (): boolean => Boolean(readingEnv().AWS_LAMBDA_FUNCTION_NAME);

const totals = new Map<string, number>();

/** Counts per metric name of one unit of work (e.g. one stream batch). */
export class Counters {
  readonly #counts = new Map<string, number>();

  constructor(readonly service: string) {}

  add(name: string, value = 1): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + value);
  }

  get(name: string): number {
    return this.#counts.get(name) ?? 0;
  }

  /** Publishes the counts (an EMF line on Lambda; the in-memory totals elsewhere) and resets them. */
  flush(): void {
    if (this.#counts.size === 0) return;
    const values = Object.fromEntries(this.#counts);
    this.#counts.clear();
    for (const [name, value] of Object.entries(values)) totals.set(name, (totals.get(name) ?? 0) + value);
    if (!onLambda()) return;
    const line = {
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: readingEnv().METRICS_NAMESPACE ?? 'ServerlessChat',
            Dimensions: [['Service']],
            Metrics: Object.keys(values).map((Name) => ({ Name, Unit: 'Count' })),
          },
        ],
      },
      Service: this.service,
      ...values,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}

/** Everything counted in this process so far (local runs and tests). */
export function metricTotals(): Readonly<Record<string, number>> {
  return Object.fromEntries(totals);
}
