/**
 * Scheduled messages on one machine (never deployed): the due queue (on the SQS stand-in,
 * local/queue.ts, shared with the fan-out worker's queue) feeding the real
 * dispatcher handler, and a timer invoking the real sweeper handler with EventBridge's "Scheduled
 * Event" shape every `sweepIntervalMs`. The first sweep, at start-up, is a full one (`detail.full`):
 * the local queue is in memory, so what it held when the stack stopped, and what fell due while it
 * was down, is put back. The handlers and their events are the
 * ones AWS runs (lib/scheduled-functions.ts, lib/scheduled-messages.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { DUE_QUEUE_NAME, SCHEDULED_FUNCTIONS, SCHEDULED_QUEUE_URL_ENV } from '../lib/scheduled-functions.ts';
import { lambdaContext } from './gateway/invoker.ts';
import type { LambdaHandler } from './gateway.ts';
import type { LocalQueue, LocalSqs } from './queue.ts';

export interface LocalSchedulerOptions {
  /** The SQS stand-in the due queue is created on. */
  readonly sqs: LocalSqs;
  /** Loads a handler module (the local stack's loader, possibly wrapped for metering). */
  readonly load: (name: string, entry: string) => () => Promise<LambdaHandler>;
  /** @default 60_000, like the per-minute rule on AWS */
  readonly sweepIntervalMs?: number;
  /** Called when a sweep or a dispatch throws (AWS would retry it; here it is reported). */
  readonly onError?: (what: string, error: unknown) => void;
}

export class LocalScheduler {
  readonly queue: LocalQueue;
  readonly #sweeper: () => Promise<LambdaHandler>;
  readonly #intervalMs: number;
  readonly #onError: (what: string, error: unknown) => void;
  readonly #sweeps = new Set<Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: LocalSchedulerOptions) {
    const { sweeper, dispatcher } = SCHEDULED_FUNCTIONS;
    const dispatch = options.load(dispatcher.name, dispatcher.entry);
    this.#sweeper = options.load(sweeper.name, sweeper.entry);
    this.#intervalMs = options.sweepIntervalMs ?? 60_000;
    this.#onError = options.onError ?? (() => {});
    this.queue = options.sqs.createQueue(DUE_QUEUE_NAME);
    this.queue.consume(async () => async (event) => {
      try {
        const handler = await dispatch(); // its time counts from here, as Lambda's does after init
        return await handler(event, lambdaContext(dispatcher.name, dispatcher.timeoutSeconds * 1000));
      } catch (error) {
        this.#onError(dispatcher.name, error);
        throw error;
      }
    });
  }

  /** The environment the functions need to reach the local queue. */
  get environment(): Record<string, string> {
    return { [SCHEDULED_QUEUE_URL_ENV]: this.queue.url };
  }

  /** Sweeps now and then every interval (once the handlers' environment is set). */
  begin(): void {
    void this.sweepNow({ full: true }).catch(() => undefined);
    this.#timer = setInterval(() => void this.sweepNow().catch(() => undefined), this.#intervalMs);
    this.#timer.unref();
  }

  /** Invokes the sweeper as the per-minute rule does (`full`: without its cursor); resolves with its report. */
  sweepNow(options: { full?: boolean } = {}): Promise<unknown> {
    const run = (async () => {
      try {
        return await (await this.#sweeper())(
          scheduledEvent(options.full === true),
          lambdaContext(SCHEDULED_FUNCTIONS.sweeper.name, SCHEDULED_FUNCTIONS.sweeper.timeoutSeconds * 1000),
        );
      } catch (error) {
        this.#onError(SCHEDULED_FUNCTIONS.sweeper.name, error);
        throw error;
      }
    })();
    this.#sweeps.add(run);
    void run.catch(() => undefined).finally(() => this.#sweeps.delete(run));
    return run;
  }

  /** Resolves when no sweep runs and the queue has nothing visible or in flight. */
  async idle(): Promise<void> {
    while (this.#sweeps.size > 0) await Promise.allSettled([...this.#sweeps]);
    await this.queue.idleExceptDelayed();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.allSettled([...this.#sweeps]);
    await this.queue.stop();
  }
}

function scheduledEvent(full: boolean): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:000000000000:rule/local-scheduled-sweep'],
    detail: full ? { full: true } : {},
  };
}
