/**
 * `npm run dev`'s ready output names where DynamoDB is (an external DYNAMODB_ENDPOINT as such), and
 * the table scripts' `--local` find the running dev's DynamoDB Local (local/dev-state.ts), else fall
 * back to http://127.0.0.1:8000 and say so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type BannerInput, dynamoLine, readyBanner } from '../../local/dev-banner.ts';
import { clearDevState, readDevState, writeDevState } from '../../local/dev-state.ts';
import { DEFAULT_LOCAL_ENDPOINT, tableTarget } from '../../scripts/table-target.ts';

const dir = mkdtempSync(join(tmpdir(), 'chat-dev-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the ready output’s DynamoDB line', () => {
  it('says in memory, or where the data is kept, for the DynamoDB Local dev started', () => {
    const endpoint = 'http://127.0.0.1:40845';
    expect(dynamoLine({ dynamoEndpoint: endpoint, externalDynamo: false, dbPath: undefined })).toBe(
      `  DynamoDB Local: ${endpoint} (in memory)`,
    );
    expect(dynamoLine({ dynamoEndpoint: endpoint, externalDynamo: false, dbPath: '/d' })).toBe(
      `  DynamoDB Local: ${endpoint} (data kept in /d)`,
    );
  });

  it('labels an endpoint from DYNAMODB_ENDPOINT as external, not "in memory"', () => {
    const line = dynamoLine({ dynamoEndpoint: 'http://db:8000', externalDynamo: true, dbPath: undefined });
    expect(line).toBe('  DynamoDB: http://db:8000 (external: DYNAMODB_ENDPOINT)');
    expect(line).not.toContain('in memory');
  });
});

describe('the ready output’s other lines', () => {
  const input: BannerInput = {
    wsUrl: 'ws://localhost:3001',
    token: 'h.p.s',
    dynamoEndpoint: 'http://127.0.0.1:40845',
    externalDynamo: false,
    dbPath: undefined,
    s3Endpoint: 'http://127.0.0.1:40846',
    bucket: 'chat-media',
    pushUrl: 'http://localhost:40847/_local/push',
  };
  const line = (banner: string, start: string) =>
    banner.split('\n').find((l) => l.trimStart().startsWith(start)) ?? '';

  it('gives the local S3 endpoint and the bucket apart (aws --endpoint-url takes the endpoint alone)', () => {
    expect(line(readyBanner(input), 'Media')).toBe(
      '  Media (local S3): endpoint http://127.0.0.1:40846, bucket chat-media',
    );
    expect(line(readyBanner({ ...input, dbPath: '/d' }), 'Media')).toBe(
      '  Media (local S3): endpoint http://127.0.0.1:40846, bucket chat-media (files kept in /d/s3)',
    );
  });

  it('offers the demo users in the web chat only when they were loaded; else says how to get a token', () => {
    const users = [{ userId: 'alice', token: 'a.b.c' }];
    expect(line(readyBanner({ ...input, seed: { seeded: true, users } }), 'Web chat')).toBe(
      '  Web chat: http://localhost:3001/ (pick a demo user; elsewhere paste a token)',
    );
    expect(line(readyBanner(input), 'Web chat')).toBe(
      '  Web chat: http://localhost:3001/ (no demo users loaded: paste a token, the demo token above or one of npm run token)',
    );
  });
});

describe('--local of the table scripts', () => {
  const file = join(dir, 'local.json');
  const env = { DEV_STATE_FILE: file };

  it('uses the running dev’s endpoint and table', () => {
    writeDevState({ pid: process.pid, dynamoEndpoint: 'http://127.0.0.1:41234', tableName: 'chat' }, file);
    expect(tableTarget({ local: true }, env)).toEqual({
      tableName: 'chat',
      endpoint: 'http://127.0.0.1:41234',
    });
    // DYNAMODB_ENDPOINT, --endpoint and --table still win.
    expect(tableTarget({ local: true }, { ...env, DYNAMODB_ENDPOINT: 'http://x:1' }).endpoint).toBe(
      'http://x:1',
    );
    expect(tableTarget({ local: true, endpoint: 'http://y:2', table: 't' }, env)).toEqual({
      tableName: 't',
      endpoint: 'http://y:2',
    });
    clearDevState(process.pid, file);
    expect(readDevState(file)).toBeUndefined();
  });

  it('ignores the file of a dev that is gone, and falls back to :8000 with a notice', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeDevState(
      { pid: Number(gone.stdout), dynamoEndpoint: 'http://127.0.0.1:41234', tableName: 'c' },
      file,
    );
    const target = tableTarget({ local: true }, env);
    expect(target).toMatchObject({ tableName: 'chat', endpoint: DEFAULT_LOCAL_ENDPOINT });
    expect(target.notice).toContain('no running `npm run dev` found');
    expect(target.notice).toContain('--endpoint');
  });

  it('leaves another dev’s file alone when stopping', () => {
    writeDevState({ pid: process.pid, dynamoEndpoint: 'http://127.0.0.1:1', tableName: 'chat' }, file);
    clearDevState(process.pid + 1_000_000, file);
    expect(readDevState(file)?.dynamoEndpoint).toBe('http://127.0.0.1:1');
  });

  it('keeps both of two running devs: the one started last is used, and stopping it leaves the first', () => {
    // Two devs without --persist (no lock), each with its own DynamoDB Local. A child process stands
    // in for the first dev: it must be alive for its entry to count.
    const first = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      const firstPid = first.pid ?? 0;
      writeDevState({ pid: firstPid, dynamoEndpoint: 'http://127.0.0.1:1111', tableName: 'chat' }, file);
      writeDevState({ pid: process.pid, dynamoEndpoint: 'http://127.0.0.1:2222', tableName: 'chat' }, file);
      const both = tableTarget({ local: true }, env);
      expect(both.endpoint).toBe('http://127.0.0.1:2222');
      expect(both.notice).toContain('2 `npm run dev` are running');
      expect(both.notice).toContain('http://127.0.0.1:1111');
      clearDevState(process.pid, file);
      expect(tableTarget({ local: true }, env)).toEqual({
        tableName: 'chat',
        endpoint: 'http://127.0.0.1:1111',
      });
      clearDevState(firstPid, file);
      expect(existsSync(file)).toBe(false);
    } finally {
      first.kill();
    }
  });

  it('reads a state file written before it listed several devs', () => {
    writeFileSync(
      file,
      JSON.stringify({ pid: process.pid, dynamoEndpoint: 'http://127.0.0.1:3', tableName: 't' }),
    );
    expect(readDevState(file)).toEqual({
      pid: process.pid,
      dynamoEndpoint: 'http://127.0.0.1:3',
      tableName: 't',
    });
    clearDevState(process.pid, file);
    expect(existsSync(file)).toBe(false);
  });

  it('changes nothing without --local (AWS: the SDK’s own endpoint)', () => {
    expect(tableTarget({ table: 'prod-table' }, env)).toEqual({
      tableName: 'prod-table',
      endpoint: undefined,
    });
  });
});
