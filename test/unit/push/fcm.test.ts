/**
 * One FCM attempt fits the send budget (lambdas/push/budget.ts `ATTEMPT_MS`): its requests (the
 * access token, the post, and both again after a 401) share one deadline, `PUSH_ATTEMPT_MS` from the
 * attempt's start, so a slow token fetch and a 401 no longer make it 30–40 s. Against an FCM of the
 * test's own on a loopback socket, with a clock that moves by each request's answer time.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportPKCS8, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ATTEMPT_MS } from '../../../lambdas/push/budget.ts';
import { FcmProvider } from '../../../lambdas/push/fcm.ts';
import { PUSH_ATTEMPT_MS, PUSH_REQUEST_TIMEOUT_MS } from '../../../lambdas/push/provider.ts';
import { CONTENT } from './fixtures.ts';

/** The test's clock: each request the server answers moves it by `answerMs`. */
let clock = 0;
let answerMs = 0;
/** Whether the server refuses every post with 401 (access tokens revoked as soon as issued). */
let refusing = false;
/** The paths requested, in order. */
let requests: string[] = [];
let server: Server;
let origin = '';
let privateKey = '';

beforeAll(async () => {
  const keys = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  privateKey = await exportPKCS8(keys.privateKey);
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      requests.push(path);
      clock += answerMs;
      res.setHeader('content-type', 'application/json');
      if (path === '/token') {
        res.end(JSON.stringify({ access_token: `ya29.${requests.length}`, expires_in: 3599 }));
      } else if (refusing || requests.filter((p) => p === '/token').length < 2) {
        res.writeHead(401).end(JSON.stringify({ error: { status: 'UNAUTHENTICATED' } }));
      } else {
        res.end(JSON.stringify({ name: 'projects/p/messages/1' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

afterEach(() => {
  vi.restoreAllMocks();
  requests = [];
  clock = 0;
});

const provider = () =>
  new FcmProvider(
    {
      projectId: 'p',
      clientEmail: 'push@p.iam.gserviceaccount.com',
      privateKey,
      privateKeyId: undefined,
      tokenUri: `${origin}/token`,
      endpoint: origin,
    },
    { idOnly: true, now: () => clock },
  );

/** Each request's `[start, latest end]` on the test's clock (its start and its timeout). */
function recordTimeouts(): [number, number][] {
  const windows: [number, number][] = [];
  const timeout = AbortSignal.timeout.bind(AbortSignal);
  vi.spyOn(AbortSignal, 'timeout').mockImplementation((ms) => {
    windows.push([clock, clock + ms]);
    return timeout(ms);
  });
  return windows;
}

describe('an FCM attempt', () => {
  it('fits the send budget: its requests share one deadline, and none starts without time left', async () => {
    expect(PUSH_ATTEMPT_MS).toBeLessThan(ATTEMPT_MS);
    // Every answer takes 9 s and every post is refused with 401: the token (0–9 s), the post
    // (9–18 s), a new token (18 s, cut to the 2 s left); the post again would start at 27 s.
    answerMs = 9_000;
    refusing = true;
    const windows = recordTimeouts();
    await expect(provider().send('tok', CONTENT)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(requests).toEqual(['/token', '/v1/projects/p/messages:send', '/token']);
    expect(windows).toEqual([
      [0, PUSH_REQUEST_TIMEOUT_MS],
      [9_000, 9_000 + PUSH_REQUEST_TIMEOUT_MS],
      [18_000, PUSH_ATTEMPT_MS],
    ]);
    expect(Math.max(...windows.map(([, end]) => end))).toBeLessThanOrEqual(PUSH_ATTEMPT_MS);
  });

  it('fetches a new token after a 401 and posts again when the deadline allows', async () => {
    answerMs = 1_000;
    refusing = false;
    const windows = recordTimeouts();
    expect(await provider().send('tok', CONTENT)).toEqual({ kind: 'sent', status: 200 });
    expect(requests).toEqual([
      '/token',
      '/v1/projects/p/messages:send',
      '/token',
      '/v1/projects/p/messages:send',
    ]);
    expect(windows.every(([, end]) => end <= PUSH_ATTEMPT_MS)).toBe(true);
  });
});
