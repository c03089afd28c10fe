/**
 * The push function's bundle (DynamoDB and Secrets Manager clients, jose, node:http2): within the
 * bundle budget, nothing left to resolve but Node built-ins, and the bundled handler answers a stream
 * event in a fresh `node` process (a record the filter skips; a message record with no provider
 * configured, which sends nothing).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_BUDGET_BYTES, esbuildOptions } from '../../lib/bundling.ts';
import { PROJECT_ROOT } from '../../lib/chat-function.ts';
import { STREAM_CONSUMERS } from '../../lib/stream-consumers.ts';

const dir = mkdtempSync(join(tmpdir(), 'push-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (itemType: string, seq: string) => ({
  eventID: `e${seq}`,
  eventName: 'INSERT',
  eventSource: 'aws:dynamodb',
  dynamodb: {
    ApproximateCreationDateTime: 1_800_000_000,
    Keys: { pk: { S: 'CHAT#c' }, sk: { S: `X#${seq}` } },
    NewImage: { pk: { S: 'CHAT#c' }, sk: { S: `X#${seq}` }, itemType: { S: itemType } },
    SequenceNumber: seq,
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
});

describe('the push bundle', { timeout: 60_000 }, () => {
  it('stays within budget, carries its dependencies and handles a stream event', async () => {
    const entry = STREAM_CONSUMERS.find((c) => c.name === 'Push')?.entry ?? '';
    const file = join(dir, 'push.mjs');
    const result = await build({ ...esbuildOptions(resolve(PROJECT_ROOT, entry), file), metafile: true });
    expect(statSync(file).size).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
    const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
    const external = (output?.imports ?? []).filter((i) => i.external).map((i) => i.path);
    expect(external.filter((path) => !isBuiltin(path))).toEqual([]);
    const event = { Records: [record('member', '1'), record('message', '2')] };
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(process.env.BUNDLE_URL);
         process.stdout.write(JSON.stringify(await m.handler(${JSON.stringify(event)}, {})));`,
      ],
      {
        env: { PATH: process.env.PATH ?? '', BUNDLE_URL: pathToFileURL(file).href, LOG_LEVEL: 'ERROR' },
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(JSON.parse(out)).toEqual({ batchItemFailures: [] });
  });
});
