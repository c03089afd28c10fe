/**
 * The local services listen on loopback unless asked otherwise: DynamoDB Local and the gateway are
 * unreachable from this machine's network addresses by default, and a stack opened to the network
 * refuses the public development JWT secret; the `/_local/*` endpoints answer this machine only, and
 * while the dev secret is in use browser pages of other sites cannot open a socket.
 */
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { DEV_JWT_SECRET } from '../../lambdas/auth/verifier.ts';
import { assertSecretFitsHost, usesPublicDevSecret } from '../../local/auth-config.ts';
import { isLoopback } from '../../local/defaults.ts';
import { isLocalOrigin } from '../../local/gateway/handshake.ts';
import { LocalGateway } from '../../local/gateway.ts';
import { LocalPushProviders, type PushRecord } from '../../local/push/providers.ts';
import { startLocalStack } from '../../local/stack.ts';
import { webRoutes } from '../../local/web.ts';
import { FrameWaiter, openSocket } from '../support/frame-waiter.ts';
import { listening, networkAddresses } from '../support/net.ts';

const addresses = networkAddresses();

const OWN_SECRET = 'a-secret-of-this-developer-0123456789abcdef';

describe.skipIf(addresses.length === 0)('listen addresses', () => {
  it("DynamoDB Local (the test run's) answers on 127.0.0.1 only", async () => {
    const port = Number(new URL(inject('dynamoEndpoint')).port);
    expect(await listening(port)).toBe(true);
    for (const address of addresses) expect(await listening(port, address), address).toBe(false);
  });

  it('the gateway listens on 127.0.0.1 by default, and on the network only when asked', async () => {
    const local = new LocalGateway({ routes: [], port: 0 });
    const open = new LocalGateway({ routes: [], port: 0, host: '0.0.0.0' });
    await Promise.all([local.start(), open.start()]);
    try {
      expect(local.url).toBe(`ws://127.0.0.1:${local.port}`);
      expect(await listening(local.port)).toBe(true);
      for (const address of addresses) {
        expect(await listening(local.port, address), address).toBe(false);
        expect(await listening(open.port, address), address).toBe(true);
      }
    } finally {
      await Promise.all([local.stop(), open.stop()]);
    }
  });
});

describe('the public dev JWT secret beyond loopback', () => {
  it('is accepted on loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
      expect(isLoopback(host), host).toBe(true);
      expect(() => assertSecretFitsHost(host, {})).not.toThrow();
      expect(() => assertSecretFitsHost(host, { JWT_SECRET: DEV_JWT_SECRET })).not.toThrow();
    }
  });

  it('is refused on any other address, with a message telling to set JWT_SECRET', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'my-laptop.local']) {
      expect(isLoopback(host), host).toBe(false);
      for (const env of [{}, { JWT_SECRET: DEV_JWT_SECRET }]) {
        expect(() => assertSecretFitsHost(host, env)).toThrow(
          /public development JWT secret.*Set JWT_SECRET/s,
        );
      }
      expect(() => assertSecretFitsHost(host, { JWT_SECRET: OWN_SECRET })).not.toThrow();
      expect(() =>
        assertSecretFitsHost(host, { JWT_JWKS_URL: 'https://idp.example/jwks.json' }),
      ).not.toThrow();
    }
  });

  it('stops startLocalStack before anything starts', async () => {
    const tableName = `refused-${Date.now()}`;
    await expect(
      startLocalStack({
        host: '0.0.0.0',
        port: 0,
        dynamoEndpoint: inject('dynamoEndpoint'),
        tableName,
        env: { JWT_SECRET: DEV_JWT_SECRET },
      }),
    ).rejects.toThrow(/Refusing to listen on 0\.0\.0\.0 with the public development JWT secret/);
    // Refused up front: not even the table was created.
    const client = new DynamoDBClient({ endpoint: inject('dynamoEndpoint') });
    const tables = await client.send(new ListTablesCommand({}));
    client.destroy();
    expect(tables.TableNames).not.toContain(tableName);
  });
});

/** A socket open on `gateway` (through `url`), its connection id and every frame it receives. */
async function liveSocket(gateway: LocalGateway, url: string) {
  const socket = await openSocket(url);
  const frames = new FrameWaiter<string>();
  socket.on('message', (data) => frames.deliver(String(data)));
  const [id] = gateway.connectionIds;
  if (id === undefined) throw new Error('the gateway holds no connection');
  return { socket, id, frames };
}

describe.skipIf(addresses.length === 0)('the Management API on a gateway opened to the network', () => {
  it('answers this machine only: from a network address 403 ForbiddenException, and a live socket gets nothing', async () => {
    const gateway = new LocalGateway({ routes: [], port: 0, host: '0.0.0.0' });
    await gateway.start();
    try {
      const { socket, id, frames } = await liveSocket(gateway, `ws://127.0.0.1:${gateway.port}`);
      const path = `/@connections/${encodeURIComponent(id)}`;
      // From this machine's network address (not loopback, not the address bound: 0.0.0.0), as a
      // caller elsewhere on the network: refused, and the live socket is neither posted to nor closed.
      for (const method of ['POST', 'GET', 'DELETE']) {
        const init = method === 'POST' ? { method, body: '{"type":"forged"}' } : { method };
        const remote = await fetch(`http://${addresses[0]}:${gateway.port}${path}`, init);
        expect(remote.status, method).toBe(403);
        expect(remote.headers.get('x-amzn-errortype'), method).toBe('ForbiddenException');
      }
      expect(gateway.connectionIds).toEqual([id]);
      // From this machine (where the handlers post from), the API answers; the socket's first frame
      // is this post, so the refused one before it never reached it.
      const local = `http://127.0.0.1:${gateway.port}${path}`;
      expect((await fetch(local)).status).toBe(200);
      expect((await fetch(local, { method: 'POST', body: '{"type":"real"}' })).status).toBe(200);
      await frames.next(() => true, { timeoutMs: 2000, what: 'the local post' });
      expect(frames.received).toEqual(['{"type":"real"}']);
      expect((await fetch(local, { method: 'DELETE' })).status).toBe(204);
      socket.terminate();
      // A connection that is gone: 410 from this machine.
      const gone = `http://127.0.0.1:${gateway.port}/@connections/${encodeURIComponent('abcdefghijklmnop')}`;
      for (const method of ['POST', 'GET', 'DELETE']) {
        const init = method === 'POST' ? { method, body: '{"type":"late"}' } : { method };
        expect((await fetch(gone, init)).status, method).toBe(410);
      }
    } finally {
      await gateway.stop();
    }
  });

  it('answers the one network address it is bound to: the handlers post to it from there', async () => {
    const host = addresses[0] as string;
    const gateway = new LocalGateway({ routes: [], port: 0, host });
    await gateway.start();
    try {
      const { socket, id, frames } = await liveSocket(gateway, `ws://${host}:${gateway.port}`);
      // The caller connects to the bound (non-loopback) address from this machine, so it comes from it.
      const posted = await fetch(`http://${host}:${gateway.port}/@connections/${encodeURIComponent(id)}`, {
        method: 'POST',
        body: '{"type":"real"}',
      });
      expect(posted.status).toBe(200);
      await frames.next(() => true, { timeoutMs: 2000, what: 'the post' });
      expect(frames.received).toEqual(['{"type":"real"}']);
      socket.terminate();
    } finally {
      await gateway.stop();
    }
  });
});

describe.skipIf(addresses.length === 0)('the /_local/* endpoints on a stack opened to the network', () => {
  it('answer this machine only: from a network address they refuse with 403 and change nothing', async () => {
    const push = await LocalPushProviders.start();
    const gateway = new LocalGateway({
      routes: [],
      port: 0,
      host: '0.0.0.0',
      httpRoutes: [
        ...push.routes,
        webRoutes({ assets: new Map(), users: [{ userId: 'alice', name: 'Alice' }] }),
      ],
    });
    await gateway.start();
    // One notification on record (as the APNs stand-in records one), which a remote DELETE must not clear.
    const sent: PushRecord = {
      platform: 'apns',
      token: 'device-1',
      payload: { aps: {} },
      status: 200,
      sentAt: '',
    };
    (push.notifications as PushRecord[]).push(sent);
    try {
      const local = `http://127.0.0.1:${gateway.port}`;
      const remote = `http://${addresses[0]}:${gateway.port}`;
      const json = { 'content-type': 'application/json' };
      const calls = [
        ['GET', '/_local/push', {}],
        ['DELETE', '/_local/push', {}],
        ['GET', '/_local/dev-users', {}],
        ['POST', '/_local/dev-token', { headers: json, body: '{"userId":"alice"}' }],
      ] as const;
      for (const [method, path, init] of calls) {
        const refused = await fetch(`${remote}${path}`, { method, ...init });
        expect(refused.status, `${method} ${path}`).toBe(403);
        expect(await refused.json(), `${method} ${path}`).toEqual({
          message: expect.stringMatching(/this machine only/),
        });
      }
      for (const [method, path, init] of calls) {
        if (method === 'DELETE') continue;
        const answered = await fetch(`${local}${path}`, { method, ...init });
        expect(answered.status, `${method} ${path} from loopback`).toBe(200);
      }
      // The remote DELETE cleared nothing.
      const listed = await (await fetch(`${local}/_local/push`)).json();
      expect(listed).toEqual({ notifications: [sent] });
    } finally {
      await gateway.stop();
      await push.stop();
    }
  });
});

describe("browser pages' origins (WebSockets are not covered by CORS)", () => {
  it('are checked while the stack uses the public dev secret, not with a secret of your own', () => {
    expect(usesPublicDevSecret({})).toBe(true);
    expect(usesPublicDevSecret({ JWT_SECRET: DEV_JWT_SECRET })).toBe(true);
    expect(usesPublicDevSecret({ JWT_SECRET: OWN_SECRET })).toBe(false);
    expect(usesPublicDevSecret({ JWT_JWKS_URL: 'https://idp.example/jwks.json' })).toBe(false);
  });

  it("let through no Origin, the gateway's own and localhost ones on any port; refuse the rest", () => {
    const own = '127.1.2.3:3001';
    for (const origin of [
      undefined,
      'http://127.1.2.3:3001',
      'http://localhost:3001',
      'https://localhost',
      'http://LOCALHOST:8080',
      'http://127.0.0.1:5173',
      'http://[::1]:9',
    ]) {
      expect(isLocalOrigin(origin, own), String(origin)).toBe(true);
    }
    for (const origin of [
      'https://evil.example',
      'http://localhost.evil.example',
      'http://127.0.0.1.evil.example',
      'http://127.1.2.3:3002',
      'http://192.168.1.20:3001',
      'null',
      'file://',
      'chrome-extension://abc',
      '',
    ]) {
      expect(isLocalOrigin(origin, own), origin).toBe(false);
    }
  });

  it('are not checked by the gateway unless asked (it emulates API Gateway, which does not)', async () => {
    const gateway = new LocalGateway({ routes: [], port: 0 });
    await gateway.start();
    try {
      const socket = await openSocket(gateway.url, { headers: { Origin: 'https://evil.example' } });
      socket.close();
    } finally {
      await gateway.stop();
    }
  });
});
