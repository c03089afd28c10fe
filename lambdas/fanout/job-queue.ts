/**
 * Where fan-out jobs (and the push worker's, lambdas/push/jobs.ts) are queued: SQS through the light
 * client (`SqsJobQueue`, one per queue URL and container), batches of at most 10 entries and 256 KB,
 * and the entries SQS refuses sent again a few times before `JobsNotQueued` names them. The jobs
 * themselves: jobs.ts.
 */
import { EntriesNotSent, type ResendPolicy, sendBatch } from '../queue/batches.ts';
import type { SqsSender } from '../queue/light-sqs.ts';
import { sqsBody } from '../queue/sqs-body.ts';
import { getSqsSender } from '../shared/clients.ts';
import type { FanOutJob } from './jobs.ts';

/** Where jobs go (fan-out jobs by default; the push worker's jobs too, lambdas/push/jobs.ts). */
export interface JobQueue<J extends object = FanOutJob> {
  /**
   * Enqueues every job or throws: `JobsNotQueued` names the jobs that were not queued (the others
   * were); after any other error nothing may be assumed about which ones went.
   */
  send(jobs: readonly J[], options?: { delaySeconds?: number }): Promise<void>;
}

/** Some jobs of a `send` were not queued (`jobs`: those; every other one was), `cause`: why. */
export class JobsNotQueued<J extends object = object> extends Error {
  constructor(
    readonly jobs: readonly J[],
    of: number,
    options?: { cause?: unknown },
  ) {
    super(`the queue refused ${jobs.length} jobs of ${of}`, options);
    this.name = 'JobsNotQueued';
  }
}

/** Entries per SendMessageBatch (SQS's limit) and bytes per call (well under SQS's 1 MiB). */
const BATCH_ENTRIES = 10;
const BATCH_BYTES = 256 * 1024;
/** Calls per batch for the entries SQS refuses (`lambdas/queue/batches.ts`). */
const RESEND: ResendPolicy = { attempts: 3, backoff: { baseMs: 20, capMs: 200 } };

/**
 * SQS: SendMessageBatch, up to 10 jobs a call; entries SQS refuses are sent again (bounded). What
 * is still refused, and the jobs of a call that failed (of a failed resend: just those it carried,
 * the first call queued the others), are thrown as `JobsNotQueued`, after every
 * call ended: a caller that has sent (or queued) something already can give up just those.
 */
export class SqsJobQueue<J extends object = FanOutJob> implements JobQueue<J> {
  constructor(
    private readonly sqs: () => SqsSender,
    readonly queueUrl: string,
  ) {}

  async send(jobs: readonly J[], options: { delaySeconds?: number } = {}): Promise<void> {
    const bodies = jobs.map((job) => sqsBody(job));
    const notQueued: J[] = [];
    let cause: unknown;
    let start = 0;
    const calls = packBatches(bodies).map((batch) => {
      const part = jobs.slice(start, start + batch.length); // batches are consecutive runs of `jobs`
      start += batch.length;
      return this.#sendBatch(batch, options.delaySeconds).then(
        (refused) => {
          for (const i of refused) notQueued.push(part[i] as J);
        },
        (error: unknown) => {
          // A resend that failed: just the entries it carried (the first call queued the others).
          const unsent = error instanceof EntriesNotSent ? error.entries.map((e) => Number(e.Id)) : undefined;
          cause ??= error instanceof EntriesNotSent ? error.cause : error;
          notQueued.push(...(unsent ? unsent.map((i) => part[i] as J) : part));
        },
      );
    });
    await Promise.all(calls);
    if (notQueued.length > 0) throw new JobsNotQueued(notQueued, jobs.length, { cause });
  }

  /** The positions in `bodies` of the entries SQS still refused. */
  async #sendBatch(bodies: readonly string[], delaySeconds: number | undefined): Promise<number[]> {
    const entries = bodies.map((body, i) => ({
      Id: String(i),
      MessageBody: body,
      ...(delaySeconds ? { DelaySeconds: delaySeconds } : {}),
    }));
    const refused = await sendBatch(this.sqs(), this.queueUrl, entries, RESEND);
    return refused.map((entry) => Number(entry.Id));
  }
}

const queues = new Map<string, SqsJobQueue<object>>();

/**
 * The job queue at `url`, made once per container (the fan-out's, the push worker's); undefined
 * when no queue is configured (the function then does the work itself).
 */
export function jobQueueAt<J extends object>(url: string | undefined): JobQueue<J> | undefined {
  if (!url) return undefined;
  let queue = queues.get(url);
  if (!queue) {
    queue = new SqsJobQueue(getSqsSender, url);
    queues.set(url, queue);
  }
  return queue as JobQueue<J>;
}

/** Groups message bodies into SendMessageBatch calls: at most 10 entries and 256 KB each. */
export function packBatches(bodies: readonly string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body);
    if (current.length > 0 && (current.length === BATCH_ENTRIES || bytes + size > BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(body);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
