/**
 * An upgrade request that is no WebSocket handshake (the method, Upgrade, Sec-WebSocket-Key,
 * Sec-WebSocket-Version) is refused before the authorizer and `$connect`, as API Gateway refuses
 * it: `ws` refused it only after them, without calling back, so no `$disconnect` ran and the
 * connection `$connect` stored stayed. A request `ws` still refuses after `$connect` (a subprotocol
 * offered twice) gets its `$disconnect`. A missing or unsupported Sec-WebSocket-Version is answered
 * with the versions the gateway speaks (`Sec-WebSocket-Version: 13, 8`, RFC 6455 4.4), as `ws` did.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../support/gateway-harness.ts';

const gw = useGateway();

interface Answer {
  /** 101 when the socket opened. */
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A bare upgrade request: the answer's status, headers and body. */
function upgradeAnswer(url: string, method: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url.replace(/^ws:/, 'http:'), {
      method,
      headers: { Connection: 'Upgrade', ...headers },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function upgradeStatus(url: string, method: string, headers: Record<string, string>): Promise<number> {
  return (await upgradeAnswer(url, method, headers)).status;
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

  it.each([
    ['Sec-WebSocket-Version 12', '12'],
    ['no Sec-WebSocket-Version', ''],
  ])(
    'with %s is told the versions the gateway speaks (RFC 6455 4.4), as ws told it',
    async (_what, version) => {
      const headers = Object.fromEntries(
        Object.entries({ ...VALID_UPGRADE, 'Sec-WebSocket-Version': version }).filter(
          ([, value]) => value !== '',
        ),
      );
      const answer = await upgradeAnswer(`${gw.gateway.url}/?token=ok-gina`, 'GET', headers);
      expect(answer.status).toBe(400);
      expect(answer.headers['sec-websocket-version']).toBe('13, 8');
      expect(answer.headers['x-amzn-errortype']).toBe('BadRequestException');
      expect(JSON.parse(answer.body)).toEqual({ message: 'Missing or invalid Sec-WebSocket-Version header' });
    },
  );

  it('with another fault is not told the versions', async () => {
    const answer = await upgradeAnswer(`${gw.gateway.url}/?token=ok-gina`, 'GET', {
      ...VALID_UPGRADE,
      'Sec-WebSocket-Key': 'c2hvcnQ=',
    });
    expect(answer.status).toBe(400);
    expect(answer.headers['sec-websocket-version']).toBeUndefined();
  });

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
