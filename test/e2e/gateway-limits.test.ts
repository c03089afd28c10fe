/**
 * The local gateway's limits, as API Gateway enforces them: 128 KB messages in both directions, and
 * client frames of at most 32 KB (a larger client message comes in several frames; an oversized
 * client frame or message closes the socket with 1009; an oversized route response is not delivered
 * and shows in the execution log; an oversized post is refused with 413), server messages over the
 * frame quota sent in frames of at most 32 KB, the idle timeout and the hard connection limit.
 */
import { PayloadTooLargeException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AWS_LIMITS, type ExecutionLogEntry } from '../../local/gateway.ts';
import { eventually } from '../support/client.ts';
import { sendInFrames } from '../support/fragments.ts';
import { RawClient, Recorder, startGateway, useGateway } from '../support/gateway-harness.ts';

const gw = useGateway({ limits: { maxFrameBytes: 4096, maxResponseBytes: 8192 } });

describe('limits', () => {
  it('accepts a frame of exactly maxFrameBytes and closes the socket with 1009 above it', async () => {
    const client = await gw.connect();
    const id = await client.connectionId();
    const exact = JSON.stringify({ action: 'echo', pad: '' });
    const fits = JSON.stringify({ action: 'echo', pad: 'x'.repeat(4096 - exact.length) });
    expect(Buffer.byteLength(fits)).toBe(4096);
    expect((await client.request(fits)).route).toBe('echo');

    client.socket.send(`${fits} `);
    expect((await client.closed).code).toBe(1009);
    await eventually(() => gw.rec.of('$disconnect', id).length === 1);
    expect(gw.rec.of('$disconnect', id)[0]?.requestContext.disconnectStatusCode).toBe(1009);
  });

  it('closes idle sockets after idleTimeoutMs and runs $disconnect', async () => {
    const idleRec = new Recorder();
    const idle = await startGateway(idleRec, { limits: { idleTimeoutMs: 40 } });
    try {
      const client = await RawClient.open(`${idle.url}/?token=ok-idle`);
      expect((await client.closed).code).toBe(1001);
      await eventually(() => idleRec.of('$disconnect').length === 1);
      expect(idleRec.of('$disconnect')[0]?.requestContext).toMatchObject({
        eventType: 'DISCONNECT',
        authorizer: { principalId: 'idle' },
      });
    } finally {
      await idle.stop();
    }
  });

  it('closes every socket at maxConnectionMs, however active, and runs $disconnect', async () => {
    const hardRec = new Recorder();
    const hard = await startGateway(hardRec, { limits: { maxConnectionMs: 60 } });
    try {
      const client = await RawClient.open(`${hard.url}/?token=ok-busy`);
      const sending = setInterval(() => {
        if (client.socket.readyState === WebSocket.OPEN) client.socket.send('{"action":"oneway"}');
      }, 5);
      const closed = await client.closed;
      clearInterval(sending);
      expect(closed.code).toBe(1001);
      await eventually(() => hardRec.of('$disconnect').length === 1);
    } finally {
      await hard.stop();
    }
  });
  it('delivers a post of exactly 128 KB and refuses a larger one with PayloadTooLargeException (413)', async () => {
    const client = await gw.connect();
    const id = await client.connectionId();
    const max = 'y'.repeat(128 * 1024);
    await gw.mgmt.send(new PostToConnectionCommand({ ConnectionId: id, Data: max }));
    await client.waitForText(max, 'the 128 KB post');

    const error = await gw.mgmt
      .send(new PostToConnectionCommand({ ConnectionId: id, Data: `${max}y` }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeException);
    expect((error as PayloadTooLargeException).$metadata.httpStatusCode).toBe(413);
    expect(client.received.some((r) => r.text.length > max.length)).toBe(false);
  });

  it('refuses a post far over 128 KB whole: nothing of it is delivered', async () => {
    const client = await gw.connect();
    const id = await client.connectionId();
    for (const size of [200 * 1024, 1024 * 1024]) {
      const error = await gw.mgmt
        .send(new PostToConnectionCommand({ ConnectionId: id, Data: 'z'.repeat(size) }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PayloadTooLargeException);
    }
    // Anything delivered would have arrived before this answer.
    await client.request('{"action":"echo","after":"posts"}');
    expect(client.received.filter((r) => r.text.startsWith('z'))).toEqual([]);
  });

  it('delivers a route response of exactly maxResponseBytes; a larger one is logged, not sent, and the socket stays open', async () => {
    const client = await gw.connect();
    const id = await client.connectionId();
    client.socket.send(JSON.stringify({ action: 'big', count: 8192 }));
    await client.waitForText('b'.repeat(8192), 'the 8 KB route response');

    // Bytes, not characters: 4097 × "é" is 8194 bytes.
    client.socket.send(JSON.stringify({ action: 'big', count: 8193 }));
    client.socket.send(JSON.stringify({ action: 'big', text: 'é', count: 4097 }));
    await eventually(() => gw.rec.of('big').length === 3);
    await gw.gateway.idle();
    // Anything the big routes sent would have arrived before this answer.
    expect((await client.request('{"action":"echo","after":"big"}')).route).toBe('echo');
    expect(client.received.filter((r) => !r.text.startsWith('{')).map((r) => r.text.length)).toEqual([8192]);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);

    const requestIds = gw.rec.of('big', id).map((e) => e.requestContext.requestId);
    expect(gw.log).toEqual(
      [8193, 8194].map((bytes, i) => ({
        level: 'ERROR',
        routeKey: 'big',
        connectionId: id,
        requestId: requestIds[i + 1],
        message: `Route response of ${bytes} bytes exceeds the message payload limit of 8192 bytes: not sent.`,
      })),
    );
  });
});

/**
 * Records the length and FIN bit of every text frame the socket's receiver reads (ws 8 internals; the
 * receiver gives a continuation frame its message's opcode, and fails on a stray one).
 */
function recordFrames(socket: WebSocket): { fin: boolean; bytes: number }[] {
  const frames: { fin: boolean; bytes: number }[] = [];
  const receiver = (socket as unknown as { _receiver: Record<string, unknown> })._receiver;
  const haveLength = receiver.haveLength as (this: unknown, cb: (error?: Error) => void) => void;
  receiver.haveLength = function record(
    this: { _opcode: number; _fin: boolean; _payloadLength: number },
    cb: (error?: Error) => void,
  ) {
    if (this._opcode === 0x01) frames.push({ fin: this._fin, bytes: this._payloadLength });
    haveLength.call(this, cb);
  };
  return frames;
}

describe('server messages over the frame quota go out in frames of at most maxFrameBytes, as on AWS', () => {
  it('splits a post and a route response into text frames of maxFrameBytes, the last with FIN', async () => {
    const client = await gw.connect();
    const id = await client.connectionId();
    const frames = recordFrames(client.socket);
    // 4,100 × "é" is 8,200 bytes: frames of 4,096, 4,096 and 8 bytes, the cuts inside a character.
    const text = 'é'.repeat(4100);
    await gw.mgmt.send(new PostToConnectionCommand({ ConnectionId: id, Data: text }));
    await client.waitForText(text, 'the fragmented post');
    expect(frames).toEqual([
      { fin: false, bytes: 4096 },
      { fin: false, bytes: 4096 },
      { fin: true, bytes: 8 },
    ]);

    frames.length = 0;
    client.socket.send(JSON.stringify({ action: 'big', count: 8192 }));
    await client.waitForText('b'.repeat(8192), 'the fragmented route response');
    expect(frames).toEqual([
      { fin: false, bytes: 4096 },
      { fin: true, bytes: 4096 },
    ]);

    frames.length = 0;
    const exact = 'q'.repeat(4096);
    await gw.mgmt.send(new PostToConnectionCommand({ ConnectionId: id, Data: exact }));
    await client.waitForText(exact, 'a post of exactly one frame');
    expect(frames).toEqual([{ fin: true, bytes: 4096 }]);
  });
});

describe("API Gateway's quotas by default: 128 KB messages in both directions, 32 KB client frames", () => {
  it('has AWS_LIMITS of 32 KB for client frames and 128 KB for client messages, route responses and posts', () => {
    expect(AWS_LIMITS).toMatchObject({
      maxFrameBytes: 32_768,
      maxMessageBytes: 131_072,
      maxResponseBytes: 131_072,
      maxPostBytes: 131_072,
    });
  });

  /** A `oneway` frame of exactly `bytes` bytes. */
  const oneway = (bytes: number) => {
    const empty = JSON.stringify({ action: 'oneway', pad: '' });
    const text = JSON.stringify({ action: 'oneway', pad: 'x'.repeat(bytes - empty.length) });
    expect(Buffer.byteLength(text)).toBe(bytes);
    return text;
  };

  it('accepts a client frame of 32 KB; one frame of a byte more closes the socket with 1009', async () => {
    const rec = new Recorder();
    const gateway = await startGateway(rec);
    try {
      const client = await RawClient.open(`${gateway.url}/?token=ok-frame`);
      client.socket.send(oneway(32 * 1024));
      await eventually(() => rec.of('oneway').length === 1);
      expect(client.socket.readyState).toBe(WebSocket.OPEN);

      client.socket.send(oneway(32 * 1024 + 1));
      expect((await client.closed).code).toBe(1009);
      await eventually(() => rec.of('$disconnect').length === 1);
      expect(rec.of('$disconnect')[0]?.requestContext.disconnectStatusCode).toBe(1009);
      expect(rec.of('oneway')).toHaveLength(1);
    } finally {
      await gateway.stop();
    }
  });

  it('accepts a 128 KB message in frames of at most 32 KB; a frame over 32 KB in it, or one byte more in all, closes the socket with 1009', async () => {
    const rec = new Recorder();
    const gateway = await startGateway(rec);
    try {
      const fragmenting = await RawClient.open(`${gateway.url}/?token=ok-fragments`);
      const max = oneway(128 * 1024);
      sendInFrames(fragmenting.socket, max, 32 * 1024);
      await eventually(() => rec.of('oneway').length === 1);
      expect(rec.of('oneway')[0]?.body).toBe(max);
      // Frames of any size up to 32 KB, e.g. 1000 bytes: the message is whole when it arrives.
      sendInFrames(fragmenting.socket, oneway(40_000), 1000);
      await eventually(() => rec.of('oneway').length === 2);
      expect(rec.of('oneway')[1]?.body).toBe(oneway(40_000));
      expect(fragmenting.socket.readyState).toBe(WebSocket.OPEN);
      sendInFrames(fragmenting.socket, oneway(128 * 1024 + 1), 32 * 1024);
      expect((await fragmenting.closed).code).toBe(1009);

      // A message well under 128 KB with one frame over 32 KB in it.
      const bigFrame = await RawClient.open(`${gateway.url}/?token=ok-big-frame`);
      const text = Buffer.from(oneway(40_000));
      bigFrame.socket.send(text.subarray(0, 1000), { fin: false });
      bigFrame.socket.send(text.subarray(1000), { fin: true });
      expect((await bigFrame.closed).code).toBe(1009);
      await eventually(() => rec.of('$disconnect').length === 2);
      expect(rec.of('$disconnect').map((e) => e.requestContext.disconnectStatusCode)).toEqual([1009, 1009]);
      expect(rec.of('oneway')).toHaveLength(2);
    } finally {
      await gateway.stop();
    }
  });

  it('answers a route response of 128 KB; one byte more is not sent, and the socket stays open', async () => {
    const rec = new Recorder();
    const log: ExecutionLogEntry[] = [];
    const gateway = await startGateway(rec, { log });
    try {
      const client = await RawClient.open(`${gateway.url}/?token=ok-max`);
      client.socket.send(JSON.stringify({ action: 'big', count: 128 * 1024 }));
      await client.waitForText('b'.repeat(128 * 1024), 'the 128 KB route response');
      client.socket.send(JSON.stringify({ action: 'big', count: 128 * 1024 + 1 }));
      await eventually(() => rec.of('big').length === 2);
      await gateway.idle();
      expect(log.map((e) => e.message)).toEqual([
        'Route response of 131073 bytes exceeds the message payload limit of 131072 bytes: not sent.',
      ]);
      expect(client.received.map((r) => r.text.length)).toEqual([128 * 1024]);
      expect(client.socket.readyState).toBe(WebSocket.OPEN);
    } finally {
      await gateway.stop();
    }
  });
});
