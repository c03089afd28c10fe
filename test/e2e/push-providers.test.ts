/**
 * The APNs and FCM clients of the push Lambda against the local stand-ins, without the rest of the
 * stack: the stand-ins check the real request formats and credentials (ES256 provider token, OAuth
 * RS256 assertion and access token), and each answer maps to the outcome the delivery loop acts on.
 */
import { exportPKCS8, generateKeyPair, importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApnsProvider } from '../../lambdas/push/apns.ts';
import { apnsFromJson, fcmFromJson } from '../../lambdas/push/config.ts';
import { FcmProvider } from '../../lambdas/push/fcm.ts';
import type { PushContent } from '../../lambdas/push/payload.ts';
import { LocalPushProviders } from '../../local/push/providers.ts';

const content: PushContent = {
  chatId: 'c',
  messageId: 'm',
  seq: 1,
  senderId: 'a',
  title: 'T',
  body: 'B',
  badge: 2,
};
let stand: LocalPushProviders;
let env: Record<string, string>;
const providers: { close(): void }[] = [];

function apns(overrides: Record<string, unknown> = {}) {
  const creds = { ...JSON.parse(env.PUSH_APNS_CREDENTIALS ?? '{}'), ...overrides };
  const p = new ApnsProvider(apnsFromJson(JSON.stringify(creds), env), { idOnly: false });
  providers.push(p);
  return p;
}

function fcm(overrides: Record<string, unknown> = {}) {
  const creds = { ...JSON.parse(env.PUSH_FCM_CREDENTIALS ?? '{}'), ...overrides };
  const p = new FcmProvider(fcmFromJson(JSON.stringify(creds), env), { idOnly: false });
  providers.push(p);
  return p;
}

beforeAll(async () => {
  stand = await LocalPushProviders.start();
  env = stand.env();
});

afterAll(async () => {
  for (const p of providers) p.close();
  await stand?.stop();
});

describe('APNs over HTTP/2', () => {
  it('sends, and maps 410 Unregistered and injected 429/5xx', async () => {
    const client = apns();
    expect(await client.send('abc123', content)).toEqual({ kind: 'sent', status: 200 });
    expect(await client.send('invalid-1', content)).toEqual({
      kind: 'unregistered',
      status: 410,
      reason: 'Unregistered',
    });
    stand.injectFault({ platform: 'apns', status: 503 });
    expect(await client.send('abc123', content)).toMatchObject({
      kind: 'retry',
      status: 503,
      reason: 'ServiceUnavailable',
    });
    stand.injectFault({ platform: 'apns', status: 429 });
    expect(await client.send('abc123', content)).toMatchObject({ kind: 'retry', status: 429 });
    const records = stand.to('abc123');
    expect(records.map((r) => r.status)).toEqual([200, 503, 429]);
    expect(records[0]?.headers).toMatchObject({ 'apns-topic': 'dev.local.chat', 'apns-push-type': 'alert' });
  });

  it('many notifications share one HTTP/2 session', async () => {
    const client = apns();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.send(`many-${i}`, content)),
    );
    expect(results.every((r) => r.kind === 'sent')).toBe(true);
  });

  it('is refused with a key Apple does not know, or the wrong topic — neither removes the device', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const stranger = apns({ privateKey: await exportPKCS8(privateKey) });
    expect(await stranger.send('abc123', content)).toEqual({
      kind: 'failed',
      status: 403,
      reason: 'InvalidProviderToken',
    });
    expect(await apns({ keyId: 'OTHERKEY' }).send('abc123', content)).toMatchObject({ status: 403 });
    expect(await apns({ topic: 'com.other.app' }).send('abc123', content)).toEqual({
      kind: 'failed',
      status: 400,
      reason: 'DeviceTokenNotForTopic',
    });
  });
});

describe('FCM HTTP v1', () => {
  it('gets an OAuth access token, sends, and maps 404 UNREGISTERED and 429 with Retry-After', async () => {
    const client = fcm();
    expect(await client.send('fcm-1', content)).toEqual({ kind: 'sent', status: 200 });
    expect(await client.send('invalid-2', content)).toEqual({
      kind: 'unregistered',
      status: 404,
      reason: 'UNREGISTERED',
    });
    stand.injectFault({ platform: 'fcm', status: 429, retryAfterSeconds: 7 });
    expect(await client.send('fcm-1', content)).toEqual({
      kind: 'retry',
      status: 429,
      reason: 'QUOTA_EXCEEDED',
      retryAfterMs: 7000,
    });
    stand.injectFault({ platform: 'fcm', status: 500 });
    expect(await client.send('fcm-1', content)).toMatchObject({ kind: 'retry', status: 500 });
  });

  it('maps a token that is none (400 on message.token) to unregistered, and a token of another project (403 SENDER_ID_MISMATCH) too once a send was accepted', async () => {
    const client = fcm();
    expect(await client.send('malformed-1', content)).toEqual({
      kind: 'unregistered',
      status: 400,
      reason: 'INVALID_ARGUMENT',
    });
    // No send accepted yet: the credentials may be another project's (then every token answers so).
    expect(await client.send('other-project-1', content)).toEqual({
      kind: 'failed',
      status: 403,
      reason: 'SENDER_ID_MISMATCH',
    });
    expect(await client.send('fcm-1', content)).toEqual({ kind: 'sent', status: 200 });
    expect(await client.send('other-project-1', content)).toEqual({
      kind: 'unregistered',
      status: 403,
      reason: 'SENDER_ID_MISMATCH',
    });
  });

  it('is refused when the service account key is wrong (the token request fails) or the project is (devices kept)', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const stranger = fcm({ private_key: await exportPKCS8(privateKey) });
    expect(await stranger.send('fcm-1', content)).toMatchObject({ kind: 'failed', status: 400 });
    // A project the service account may not send for: PERMISSION_DENIED, no SENDER_ID_MISMATCH code.
    expect(await fcm({ project_id: 'someone-else' }).send('fcm-1', content)).toMatchObject({
      kind: 'failed',
      status: 403,
      reason: 'PERMISSION_DENIED',
    });
  });

  it('answers only requests with an access token it issued, and refuses non-string data values', async () => {
    const creds = JSON.parse(env.PUSH_FCM_CREDENTIALS ?? '{}') as Record<string, string>;
    const send = (authorization: string, data: Record<string, unknown>) =>
      fetch(`${env.PUSH_FCM_ENDPOINT}/v1/projects/local-chat/messages:send`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ message: { token: 'fcm-raw', data } }),
      });
    expect((await send('Bearer made-up', { a: 'b' })).status).toBe(401);
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope: 'https://www.googleapis.com/auth/firebase.messaging' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(creds.client_email ?? '')
      .setAudience(creds.token_uri ?? '')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(await importPKCS8(creds.private_key ?? '', 'RS256'));
    const grant = await fetch(creds.token_uri ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    });
    const { access_token } = (await grant.json()) as { access_token: string };
    const refused = await send(`Bearer ${access_token}`, { seq: 1 });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { status: 'INVALID_ARGUMENT' } });
    expect((await send(`Bearer ${access_token}`, { seq: '1' })).status).toBe(200);
  });
});
