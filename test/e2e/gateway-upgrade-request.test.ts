/**
 * An upgrade request that is no WebSocket handshake (the method, Upgrade, Sec-WebSocket-Key,
 * Sec-WebSocket-Version) is refused before the authorizer and `$connect`, as API Gateway refuses
 * it: `ws` refused it only after them, without calling back, so no `$disconnect` ran and the
 * connection `$connect` stored stayed. A request `ws` still refuses after `$connect` (a subprotocol
 * offered twice) gets its `$disconnect`.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../support/gateway-harness.ts';

const gw = useGateway();

/** A bare upgrade request: the status of the answer (101 when the socket opened). */
function upgradeStatus(url: string, method: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url.replace(/^ws:/, 'http:'), {
      method,
      headers: { Connection: 'Upgrade', ...headers },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

const VALID_UPGRADE = {
  Upgrade: 'websocket',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version': '13',
};

describe('a malformed upgrade request', () => {
  it.each([
    ['a method other than GET', 'POST', {}, 405],
    ['an Upgrade other than websocket', 'GET', { Upgrade: 'h2c' }, 400],
    ['no Sec-WebSocket-Key', 'GET', { 'Sec-WebSocket-Key': '' }, 400],
    ['a Sec-WebSocket-Key not of 16 bytes', 'GET', { 'Sec-WebSocket-Key': 'c2hvcnQ=' }, 400],
    ['no Sec-WebSocket-Version', 'GET', { 'Sec-WebSocket-Version': '' }, 400],
    ['Sec-WebSocket-Version 12', 'GET', { 'Sec-WebSocket-Version': '12' }, 400],
  ])(
    'with %s is refused (%s) before the authorizer and $connect run',
    async (_what, method, changed, status) => {
      // An empty value leaves the header out.
      const headers = Object.fromEntries(
        Object.entries({ ...VALID_UPGRADE, ...changed }).filter(([, value]) => value !== ''),
      );
      expect(await upgradeStatus(`${gw.gateway.url}/?token=ok-gina`, method, headers)).toBe(status);
      await gw.gateway.idle();
      expect(gw.rec.authorizerEvents).toHaveLength(0);
      expect(gw.rec.of('$connect')).toHaveLength(0);
      expect(gw.rec.of('$disconnect')).toHaveLength(0);
      expect(gw.gateway.connectionIds).toEqual([]);
    },
  );

  it('that ws refuses only after $connect (a subprotocol offered twice) gets its $disconnect', async () => {
    const headers = { ...VALID_UPGRADE, 'Sec-WebSocket-Protocol': 'chat.v1, chat.v1' };
    expect(await upgradeStatus(`${gw.gateway.url}/?token=ok-gina`, 'GET', headers)).toBe(400);
    await gw.gateway.idle();
    expect(gw.rec.of('$connect')).toHaveLength(1);
    const [connect] = gw.rec.of('$connect');
    expect(gw.rec.of('$disconnect', connect?.requestContext.connectionId)).toHaveLength(1);
    expect(gw.gateway.connectionIds).toEqual([]);
  });

  it('and the same request well formed opens', async () => {
    expect(await upgradeStatus(`${gw.gateway.url}/?token=ok-gina`, 'GET', VALID_UPGRADE)).toBe(101);
    expect(gw.rec.of('$connect')).toHaveLength(1);
  });
});
