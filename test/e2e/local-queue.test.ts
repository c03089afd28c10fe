/**
 * The local SQS stand-in (local/queue.ts) against the real SQS client: what producers send arrives
 * at the consumer as Lambda's SQSEvent, batch sizes and concurrency hold, delays are honoured, and
 * failed records come back (receive count up) until they land in the dead-letter list.
 */
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useLocalAwsEnvironment } from '../../local/dynamodb.ts';
import { LocalSqs } from '../../local/queue.ts';
import { eventually } from '../support/client.ts';

let sqs: LocalSqs;
let client: SQSClient;

beforeAll(async () => {
  useLocalAwsEnvironment();
  sqs = new LocalSqs();
  await sqs.start();
  client = new SQSClient({ endpoint: sqs.endpoint, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await sqs.stop();
});

const handlerOf = (fn: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>) => async () =>
  fn as (event: unknown) => Promise<unknown>;

describe('local SQS stand-in', () => {
  it('delivers what the SDK sends as SQSEvent records (MD5 checked by the SDK), in batches of at most batchSize', async () => {
    const queue = sqs.createQueue('shape', { batchSize: 3, maxConcurrency: 1 });
    const events: SQSEvent[] = [];
    queue.consume(
      handlerOf(async (event) => {
        events.push(event);
        return { batchItemFailures: [] };
      }),
    );
    await client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'one' }));
    const out = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: ['two', 'three', 'four', 'five ✓'].map((body, i) => ({ Id: `e${i}`, MessageBody: body })),
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['e0', 'e1', 'e2', 'e3']);
    await queue.idle();
    const records = events.flatMap((e) => e.Records);
    expect(records.map((r) => r.body).sort()).toEqual(['five ✓', 'four', 'one', 'three', 'two']);
    expect(Math.max(...events.map((e) => e.Records.length))).toBeLessThanOrEqual(3);
    expect(records[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:local:000000000000:shape',
      attributes: { ApproximateReceiveCount: '1' },
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('runs at most maxConcurrency invocations at once', async () => {
    const queue = sqs.createQueue('concurrency', { batchSize: 1, maxConcurrency: 2 });
    let running = 0;
    let most = 0;
    queue.consume(
      handlerOf(async () => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return { batchItemFailures: [] };
      }),
    );
    for (let i = 0; i < 8; i++) queue.send(`m${i}`);
    await queue.idle();
    expect(queue.stats.invocations).toBe(8);
    expect(most).toBe(2);
  });

  it('holds a delayed message back until its delay is over', async () => {
    const queue = sqs.createQueue('delay');
    const seen: number[] = [];
    queue.consume(
      handlerOf(async () => {
        seen.push(Date.now());
        return undefined;
      }),
    );
    const sentAt = Date.now();
    await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: [{ Id: 'late', MessageBody: 'x', DelaySeconds: 1 }],
      }),
    );
    await queue.idle();
    expect((seen[0] ?? 0) - sentAt).toBeGreaterThanOrEqual(950);
  });

  it('tells messages on their first timer from work to wait for: a failed record waiting to come back is busy', async () => {
    const queue = sqs.createQueue('timers', { visibilityTimeoutMs: 300 });
    const bodies: string[] = [];
    let failOnce = true;
    queue.consume(
      handlerOf(async (event) => {
        bodies.push(...event.Records.map((r) => r.body));
        const failed = failOnce ? event.Records.filter((r) => r.body === 'flaky') : [];
        failOnce = false;
        return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
      }),
    );
    queue.send('later', 60);
    expect(queue.busyExceptTimers).toBe(false);
    await queue.idleExceptTimers();
    queue.send('flaky');
    // Received, failed, back after its visibility timeout: waited for, the timed one is not.
    await queue.idleExceptTimers();
    expect(bodies).toEqual(['flaky', 'flaky']);
    expect(queue.depth).toBe(1);
    await queue.stop();
  });

  it('delivers failed records again, then moves them to the dead letters; a throwing worker fails its whole batch', async () => {
    const queue = sqs.createQueue('failures', { batchSize: 2, visibilityTimeoutMs: 10, maxReceiveCount: 3 });
    const receives = new Map<string, string[]>();
    queue.consume(
      handlerOf(async (event) => {
        for (const r of event.Records) {
          receives.set(r.body, [...(receives.get(r.body) ?? []), r.attributes.ApproximateReceiveCount]);
        }
        if (event.Records.some((r) => r.body === 'throw')) throw new Error('worker crashed');
        return {
          batchItemFailures: event.Records.filter((r) => r.body === 'bad').map((r) => ({
            itemIdentifier: r.messageId,
          })),
        };
      }),
    );
    queue.send('good');
    queue.send('bad');
    await queue.idle();
    expect(receives.get('good')).toEqual(['1']);
    expect(receives.get('bad')).toEqual(['1', '2', '3']);
    expect(queue.deadLetters).toEqual(['bad']);

    queue.send('throw');
    await queue.idle();
    expect(receives.get('throw')).toEqual(['1', '2', '3']);
    expect(queue.deadLetters).toEqual(['bad', 'throw']);
  });

  it('pauses and resumes its consumer', async () => {
    const queue = sqs.createQueue('pause');
    const bodies: string[] = [];
    queue.consume(
      handlerOf(async (event) => {
        bodies.push(...event.Records.map((r) => r.body));
        return undefined;
      }),
    );
    queue.pause();
    queue.send('held');
    await new Promise((r) => setTimeout(r, 50));
    expect(bodies).toEqual([]);
    expect(queue.depth).toBe(1);
    queue.resume();
    await eventually(() => bodies.length === 1);
    await queue.idle();
  });

  it('refuses, as SQS does, a body with a character outside its set (U+FFFF, U+FFFE, a control character, a lone surrogate)', async () => {
    const queue = sqs.createQueue('characters');
    for (const body of ['plans \uFFFF', 'plans \uFFFE', 'bell \u0007', 'half \ud800']) {
      await expect(
        client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body })),
        JSON.stringify(body),
      ).rejects.toMatchObject({ name: 'InvalidMessageContents', $metadata: { httpStatusCode: 400 } });
    }
    // In a batch the refused entry fails alone (SenderFault); the others are sent.
    const ok = 'tab\t, newline\n, 😀, \uFFFD, \uE000';
    const out = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: [
          { Id: 'bad', MessageBody: '{"name":"Plans \uFFFF"}' },
          { Id: 'good', MessageBody: ok },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['good']);
    expect(out.Failed).toEqual([
      expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'InvalidMessageContents' }),
    ]);
    expect(out.Failed?.[0]?.Message).toContain("'#xFFFF'");
    expect(queue.depth).toBe(1);
    expect(queue.stats.sent).toBe(1);
    await queue.stop();
  });

  it('answers other actions and unknown queues with an error the SDK understands', async () => {
    await expect(
      client.send(
        new SendMessageCommand({ QueueUrl: `${sqs.endpoint}/000000000000/nope`, MessageBody: 'x' }),
      ),
    ).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });
});
