/**
 * The stream-consumer framework: decoding records, filter patterns, per-record failure isolation
 * and partial batch responses, in-order mode, counters.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fromImage } from '../../../lambdas/pipeline/attributes.ts';
import { type FilterPattern, matchesFilter } from '../../../lambdas/pipeline/filter.ts';
import { metricTotals } from '../../../lambdas/pipeline/metrics.ts';
import { MESSAGE_CREATED } from '../../../lambdas/pipeline/patterns.ts';
import { decodeRecord, type StreamChange, streamHandler } from '../../../lambdas/pipeline/stream.ts';
import { logger } from '../../../lambdas/shared/logger.ts';
import { type MetricValues, onMetrics } from '../../../lambdas/shared/metrics.ts';

/** Failures are logged; the tests below check that they are (and keep the output quiet). */
let loggedErrors: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  loggedErrors?.mockRestore();
  loggedErrors = vi.spyOn(logger, 'error').mockImplementation(() => {});
});

let seq = 100;
function record(
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  itemType: string,
  extra: Partial<DynamoDBRecord> = {},
): DynamoDBRecord {
  const image = {
    pk: { S: 'CHAT#c1' },
    sk: { S: `MSG#${seq}` },
    itemType: { S: itemType },
    seq: { N: String(seq) },
  };
  return {
    eventID: `e${seq}`,
    eventName,
    eventSource: 'aws:dynamodb',
    eventVersion: '1.1',
    awsRegion: 'eu-west-1',
    dynamodb: {
      ApproximateCreationDateTime: 1_800_000_000,
      Keys: { pk: image.pk, sk: image.sk },
      ...(eventName !== 'REMOVE' ? { NewImage: image } : {}),
      ...(eventName !== 'INSERT' ? { OldImage: image } : {}),
      SequenceNumber: String(seq++),
      SizeBytes: 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    ...extra,
  };
}

describe('attribute values', () => {
  it('reads every DynamoDB type into plain values', () => {
    expect(
      fromImage({
        s: { S: 'x' },
        n: { N: '3.5' },
        b: { B: Buffer.from('hi').toString('base64') },
        t: { BOOL: true },
        z: { NULL: true },
        m: { M: { k: { L: [{ S: 'a' }, { N: '1' }] } } },
        ss: { SS: ['a', 'b'] },
        ns: { NS: ['1', '2'] },
      }),
    ).toEqual({
      s: 'x',
      n: 3.5,
      b: new Uint8Array(Buffer.from('hi')),
      t: true,
      z: null,
      m: { k: ['a', 1] },
      ss: new Set(['a', 'b']),
      ns: new Set([1, 2]),
    });
  });
});

describe('filter patterns', () => {
  const r = record('INSERT', 'message');
  it('matches exact values, nested, prefix, exists and anything-but', () => {
    expect(matchesFilter(MESSAGE_CREATED, r)).toBe(true);
    expect(matchesFilter(MESSAGE_CREATED, record('MODIFY', 'message'))).toBe(false);
    expect(matchesFilter(MESSAGE_CREATED, record('INSERT', 'member'))).toBe(false);
    const cases: [FilterPattern, boolean][] = [
      [{ eventName: ['MODIFY', 'INSERT'] }, true],
      [{ dynamodb: { Keys: { pk: { S: [{ prefix: 'CHAT#' }] } } } }, true],
      [{ dynamodb: { Keys: { pk: { S: [{ prefix: 'USER#' }] } } } }, false],
      [{ dynamodb: { OldImage: [{ exists: false }] } }, true],
      [{ dynamodb: { NewImage: [{ exists: true }] } }, true],
      [{ eventName: [{ 'anything-but': ['REMOVE'] }] }, true],
      [{ eventName: [{ 'anything-but': ['INSERT'] }] }, false],
      [{ userIdentity: { type: ['Service'] } }, false],
    ];
    for (const [pattern, expected] of cases)
      expect(matchesFilter(pattern, r), JSON.stringify(pattern)).toBe(expected);
  });
});

describe('decodeRecord', () => {
  it('gives keys, images, time and whether TTL removed the item', () => {
    const change = decodeRecord(record('MODIFY', 'message'));
    expect(change).toMatchObject({
      eventName: 'MODIFY',
      keys: { pk: 'CHAT#c1' },
      newImage: { itemType: 'message' },
      oldImage: { itemType: 'message' },
      at: new Date(1_800_000_000_000),
      byTtl: false,
    });
    const ttl = decodeRecord(
      record('REMOVE', 'message', {
        userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      }),
    );
    expect(ttl).toMatchObject({ newImage: undefined, byTtl: true });
    expect(() => decodeRecord({ eventName: 'INSERT' })).toThrow(/not a DynamoDB stream record/);
  });
});

describe('streamHandler', () => {
  it('hands matching records to the consumer and skips the rest', async () => {
    const handle = vi.fn(async (_c: StreamChange) => {});
    const handler = streamHandler({ name: 't-skip', filter: MESSAGE_CREATED, handle });
    const records = [record('INSERT', 'message'), record('INSERT', 'member'), record('INSERT', 'message')];
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });
    expect(handle.mock.calls.map(([c]) => c.sequenceNumber)).toEqual(
      [records[0], records[2]].map((r) => r?.dynamodb?.SequenceNumber),
    );
    expect(metricTotals()).toMatchObject({
      RecordsHandled: expect.any(Number),
      RecordsSkipped: expect.any(Number),
    });
  });

  it('logs with the invocation’s awsRequestId, as every other worker does', async () => {
    const keys: Record<string, unknown>[] = [];
    const handler = streamHandler({
      name: 't-keys',
      filter: MESSAGE_CREATED,
      handle: async () => {
        keys.push(logger.keys());
      },
    });
    const context = { awsRequestId: 'aws-req-1', getRemainingTimeInMillis: () => 60_000 };
    await handler({ Records: [record('INSERT', 'message')] }, context);
    expect(keys).toEqual([{ consumer: 't-keys', records: 1, awsRequestId: 'aws-req-1' }]);
  });

  it('publishes the counters it names as business metrics, one emission per batch', async () => {
    const emitted: MetricValues[] = [];
    const stop = onMetrics((values) => emitted.push(values));
    try {
      const handler = streamHandler({
        name: 't-business',
        filter: MESSAGE_CREATED,
        businessMetrics: { Sent: 'PushesSent', GivenUp: 'PushesGivenUp', Refused: 'PushesFailed' },
        handle: async (_change, counters) => {
          counters.add('Sent', 2);
          counters.add('GivenUp');
          counters.add('Other');
        },
      });
      await handler({ Records: [record('INSERT', 'message'), record('INSERT', 'message')] });
    } finally {
      stop();
    }
    // Zero counts are left out (lambdas/shared/metrics.ts putMetrics); unnamed counters are not published.
    expect(emitted).toEqual([{ PushesSent: 4, PushesGivenUp: 2 }]);
  });

  it('isolates failures: the others are handled, each failed record is reported in order', async () => {
    const records = Array.from({ length: 6 }, () => record('INSERT', 'message'));
    const failing = new Set([records[4], records[1]].map((r) => r?.dynamodb?.SequenceNumber));
    const handled: string[] = [];
    const handler = streamHandler({
      name: 't-isolate',
      filter: MESSAGE_CREATED,
      concurrency: 3,
      handle: async (c) => {
        if (failing.has(c.sequenceNumber)) throw new Error('boom');
        handled.push(c.sequenceNumber);
      },
    });
    const response = await handler({ Records: records });
    expect(response.batchItemFailures).toEqual(
      [records[1], records[4]].map((r) => ({ itemIdentifier: r?.dynamodb?.SequenceNumber })),
    );
    expect(handled.sort()).toEqual(
      [0, 2, 3, 5].map((i) => records[i]?.dynamodb?.SequenceNumber as string).sort(),
    );
    expect(loggedErrors).toHaveBeenCalledTimes(2);
    expect(loggedErrors.mock.calls[0]?.[1]).toMatchObject({
      consumer: 't-isolate',
      eventId: expect.any(String),
    });
  });

  it('with concurrency 1 runs in order and stops at the first failure', async () => {
    const records = Array.from({ length: 4 }, () => record('INSERT', 'message'));
    const seen: string[] = [];
    const handler = streamHandler({
      name: 't-ordered',
      filter: MESSAGE_CREATED,
      concurrency: 1,
      handle: async (c) => {
        seen.push(c.sequenceNumber);
        if (c.sequenceNumber === records[1]?.dynamodb?.SequenceNumber) throw new Error('boom');
      },
    });
    const response = await handler({ Records: records });
    expect(seen).toEqual([0, 1].map((i) => records[i]?.dynamodb?.SequenceNumber));
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }],
    });
  });

  it('reports a record it cannot decode as failed', async () => {
    const bad = record('INSERT', 'message');
    delete bad.dynamodb?.NewImage?.pk;
    const broken = { ...bad, eventName: undefined } as unknown as DynamoDBRecord;
    const handler = streamHandler({ name: 't-bad', filter: {}, handle: async () => {} });
    const response = await handler({ Records: [broken] });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: bad.dynamodb?.SequenceNumber }]);
  });
});
