/**
 * The local gateway on an IPv6 address (HOST=::1 npm run dev): its URLs put the address in brackets,
 * so the ready line's ws:// URL works and the handlers' Management API posts parse.
 */
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { urlHost } from '../../local/defaults.ts';
import { LocalGateway } from '../../local/gateway.ts';

const gateway = new LocalGateway({ routes: [], port: 0, host: '::1' });
afterAll(() => gateway.stop());

describe('the local gateway on HOST=::1', () => {
  it('brackets the address in its WebSocket URL and Management API endpoint', async () => {
    await gateway.start();
    expect(gateway.url).toBe(`ws://[::1]:${gateway.port}`);
    expect(gateway.managementEndpoint).toBe(`http://[::1]:${gateway.port}`);
    expect(new URL(`${gateway.managementEndpoint}/@connections/abc`).hostname).toBe('[::1]');
    // A client reaches it at that URL (no authorizer: the upgrade is refused, with an HTTP answer).
    const status = await new Promise<number | string>((resolve) => {
      const socket = new WebSocket(gateway.url);
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => {
        socket.close();
        resolve('open');
      });
      socket.once('error', (error) => resolve(error.message));
    });
    expect(typeof status === 'number' || status === 'open', String(status)).toBe(true);
    // And the Management API answers there.
    expect((await fetch(`${gateway.managementEndpoint}/@connections/nobody`)).status).toBe(410);
  });

  it('leaves names and IPv4 addresses as they are', () => {
    expect(urlHost('127.0.0.1')).toBe('127.0.0.1');
    expect(urlHost('localhost')).toBe('localhost');
    expect(urlHost('::1')).toBe('[::1]');
    expect(urlHost('[::1]')).toBe('[::1]');
  });
});
