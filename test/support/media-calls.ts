/**
 * The functions' media bucket, on the local S3 stand-in, with every request it sends recorded by the
 * function that sent it (the invocation's scope: a route key or a worker's name), and DeleteObjects
 * made to fail on demand (S3 answering 500, which the bucket retries and then throws). The handlers
 * run in the test's process, so `setMediaBucket` replaces the bucket they use.
 */
import { afterEach, beforeEach } from 'vitest';
import { MediaBucket, setMediaBucket } from '../../lambdas/data/media-bucket.ts';
import { getS3Presigner } from '../../lambdas/shared/clients.ts';
import { currentFunction } from '../../lambdas/shared/logger.ts';
import type { TestStack } from './stack.ts';

export interface S3Call {
  /** The function whose invocation sent it (undefined: none). */
  readonly fn: string | undefined;
  readonly method: string;
  /** `DeleteObjects` for a bucket-level delete, else the object request's method. */
  readonly operation: string;
  /** The object keys it names (a DeleteObjects: every key of its body). */
  readonly keys: readonly string[];
  /** Whether the stand-in answered it (false: this recorder failed it). */
  readonly sent: boolean;
}

export interface MediaCalls {
  readonly calls: S3Call[];
  /** While true, every DeleteObjects fails with a 500. */
  failDeletes: boolean;
  /** The DeleteObjects calls of a function. */
  deletesBy(fn: string): S3Call[];
}

/** Installs the recording bucket before each test of the file and removes it after. */
export function useMediaCalls(stack: TestStack): MediaCalls {
  const state: MediaCalls = {
    calls: [],
    failDeletes: false,
    deletesBy: (fn) => state.calls.filter((c) => c.fn === fn && c.operation === 'DeleteObjects'),
  };
  beforeEach(() => {
    state.calls.length = 0;
    state.failDeletes = false;
    const base = `${stack.s3Endpoint}/${stack.mediaBucket}`;
    setMediaBucket(
      new MediaBucket({
        baseUrl: base,
        presigner: getS3Presigner,
        fetch: async (input, init) => {
          const url = new URL(String(input));
          const method = init?.method ?? 'GET';
          const isDelete = method === 'POST' && url.searchParams.has('delete');
          const keys = isDelete
            ? [...String(init?.body ?? '').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1] ?? '')
            : [decodeURIComponent(url.pathname.slice(new URL(base).pathname.length + 1))];
          const failing = isDelete && state.failDeletes;
          state.calls.push({
            fn: currentFunction(),
            method,
            operation: isDelete ? 'DeleteObjects' : method,
            keys,
            sent: !failing,
          });
          if (failing) {
            return new Response('<Error><Code>InternalError</Code><Message>test</Message></Error>', {
              status: 500,
            });
          }
          return fetch(input, init);
        },
      }),
    );
  });
  afterEach(() => setMediaBucket(undefined));
  return state;
}
