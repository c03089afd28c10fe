/**
 * The local gateway's Management API through the real `@aws-sdk/client-apigatewaymanagementapi`
 * client: PostToConnection, GetConnection and DeleteConnection, the errors and their
 * `x-amzn-errortype`, URL-encoded connection ids, injected faults and vanished sockets.
 */
import {
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { describe, expect, it } from 'vitest';
import { eventually } from '../support/client.ts';
import {
  managementClient,
  RawClient,
  Recorder,
  startGateway,
  useGateway,
} from '../support/gateway-harness.ts';

const gw = useGateway({ limits: { maxFrameBytes: 4096 } });

describe('Management API', () => {
  it('PostToConnection delivers the data as one text frame', async () => {
    const client = await gw.connect();
    const id = await client.connectionId();
    const data = JSON.stringify({ type: 'hello', text: 'héllo wörld ✓' });
    await gw.mgmt.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }));
    const frame = await client.waitForText(data, 'the post');
    expect(frame.isBinary).toBe(false);

    const bytes = new TextEncoder().encode('{"type":"bytes"}');
    await gw.mgmt.send(new PostToConnectionCommand({ ConnectionId: id, Data: bytes }));
    await client.waitForText('{"type":"bytes"}', 'the byte post');
  });

  it('GetConnection returns connectedAt, identity and lastActiveAt', async () => {
    const client = await gw.connect('ok-erin', '', { 'User-Agent': 'gw.mgmt-test/2' });
    const id = await client.connectionId();
    const [connectEvent] = gw.rec.of('$connect', id);
    const out = await gw.mgmt.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(out.ConnectedAt).toBeInstanceOf(Date);
    expect(out.ConnectedAt?.getTime()).toBe(connectEvent?.requestContext.connectedAt);
    expect(out.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: 'gw.mgmt-test/2' });
    expect(out.LastActiveAt).toBeInstanceOf(Date);
    expect(out.LastActiveAt?.getTime()).toBeGreaterThanOrEqual(out.ConnectedAt?.getTime() ?? Infinity);

    // Activity moves lastActiveAt forward (never back).
    await client.request('{"action":"echo","touch":1}');
    const later = await gw.mgmt.send(new GetConnectionCommand({ ConnectionId: id }));
    expect(later.LastActiveAt?.getTime()).toBeGreaterThanOrEqual(out.LastActiveAt?.getTime() ?? Infinity);
    expect(later.ConnectedAt?.getTime()).toBe(out.ConnectedAt?.getTime());
  });

  it('DeleteConnection closes the socket and $disconnect runs', async () => {
    const client = await gw.connect('ok-frank');
    const id = await client.connectionId();
    await gw.mgmt.send(new DeleteConnectionCommand({ ConnectionId: id }));
    expect((await client.closed).code).toBe(1000);
    await eventually(() => gw.rec.of('$disconnect', id).length === 1);
    expect(gw.rec.of('$disconnect', id)[0]?.requestContext.authorizer).toMatchObject({
      principalId: 'frank',
    });
    await expect(gw.mgmt.send(new GetConnectionCommand({ ConnectionId: id }))).rejects.toBeInstanceOf(
      GoneException,
    );
  });

  it('answers unknown and closed connections with GoneException', async () => {
    const unknown = 'AAAAAAAAAAAAAAA=';
    for (const command of [
      new PostToConnectionCommand({ ConnectionId: unknown, Data: '{}' }),
      new GetConnectionCommand({ ConnectionId: unknown }),
      new DeleteConnectionCommand({ ConnectionId: unknown }),
    ]) {
      // biome-ignore lint/suspicious/noExplicitAny: three command types through one client
      const error = await gw.mgmt.send(command as any).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GoneException);
      expect((error as Error).name).toBe('GoneException');
      expect((error as GoneException).$metadata.httpStatusCode).toBe(410);
    }

    const client = await gw.connect();
    const id = await client.connectionId();
    await client.close();
    await eventually(() => gw.rec.of('$disconnect', id).length === 1);
    const error = await gw.mgmt
      .send(new PostToConnectionCommand({ ConnectionId: id, Data: '{}' }))
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe('GoneException');
  });

  it('answers a closing connection (after DeleteConnection) with GoneException from all three', async () => {
    const client = await gw.connect('ok-zed');
    const id = await client.connectionId();
    await gw.mgmt.send(new DeleteConnectionCommand({ ConnectionId: id }));
    // At once, during the close handshake: on AWS the connection is gone for every call.
    const outcome = (sent: Promise<unknown>) =>
      sent.then(
        () => 'ok',
        (error: Error) => error.name,
      );
    const answers = await Promise.all([
      outcome(gw.mgmt.send(new PostToConnectionCommand({ ConnectionId: id, Data: '{}' }))),
      outcome(gw.mgmt.send(new GetConnectionCommand({ ConnectionId: id }))),
      outcome(gw.mgmt.send(new DeleteConnectionCommand({ ConnectionId: id }))),
    ]);
    expect(answers).toEqual(['GoneException', 'GoneException', 'GoneException']);
    expect((await client.closed).code).toBe(1000);
  });

  it('answers 410 with the x-amzn-errortype header on the wire', async () => {
    const res = await fetch(`${gw.gateway.managementEndpoint}/@connections/${encodeURIComponent('nope=')}`, {
      method: 'POST',
      body: '{}',
    });
    expect(res.status).toBe(410);
    expect(res.headers.get('x-amzn-errortype')).toBe('GoneException');
    await res.arrayBuffer();
  });

  it('URL-encodes connection ids with +, / and = and still finds them', async () => {
    const idsRec = new Recorder();
    const ids = ['ab+cd/ef+gh/ij==', 'Zz/+Zz/+Zz/+Zz=', '+/+/+/+/+/+/+/+='];
    const odd = await startGateway(idsRec, { ids });
    const oddMgmt = managementClient(odd);
    try {
      for (const expected of ids) {
        const client = await RawClient.open(`${odd.url}/?token=ok-odd`);
        expect(await client.connectionId()).toBe(expected);
        await oddMgmt.send(
          new PostToConnectionCommand({ ConnectionId: expected, Data: `{"to":"${expected}"}` }),
        );
        await client.waitForJson((f) => f.to === expected, `the post to ${expected}`);
        const out = await oddMgmt.send(new GetConnectionCommand({ ConnectionId: expected }));
        expect(out.Identity?.SourceIp).toBe('127.0.0.1');
        await oddMgmt.send(new DeleteConnectionCommand({ ConnectionId: expected }));
        expect((await client.closed).code).toBe(1000);
        await eventually(() => idsRec.of('$disconnect', expected).length === 1);
      }
    } finally {
      oddMgmt.destroy();
      await odd.stop();
    }
  });

  it('injectFault makes the next posts fail with the configured status, then delivery resumes', async () => {
    const client = await gw.connect();
    const id = await client.connectionId();
    const post = (data: string) =>
      gw.mgmt.send(new PostToConnectionCommand({ ConnectionId: id, Data: data })).catch((e: unknown) => e);

    gw.gateway.injectFault({ status: 410 });
    const gone = await post('{"n":"gone"}');
    expect(gone).toBeInstanceOf(GoneException);

    gw.gateway.injectFault({ status: 429, count: 2 });
    for (const n of [1, 2]) {
      const limited = (await post(`{"n":"limited-${n}"}`)) as Error & {
        $metadata: { httpStatusCode: number };
      };
      expect(limited.name).toBe('LimitExceededException');
      expect(limited.$metadata.httpStatusCode).toBe(429);
    }

    gw.gateway.injectFault({ status: 500 });
    const failed = (await post('{"n":"failed"}')) as Error & { $metadata: { httpStatusCode: number } };
    expect(failed).toBeInstanceOf(Error);
    expect(failed.$metadata.httpStatusCode).toBe(500);

    expect(await post('{"n":"delivered"}')).not.toBeInstanceOf(Error);
    await client.waitForJson((f) => f.n === 'delivered', 'the post after the faults');
    expect(client.json.filter((f) => typeof f.n === 'string').map((f) => f.n)).toEqual(['delivered']);
  });

  it('injectFault limited to one connection leaves the others alone', async () => {
    const a = await gw.connect();
    const b = await gw.connect();
    const idA = await a.connectionId();
    const idB = await b.connectionId();
    gw.gateway.injectFault({ status: 410, connectionId: idA });
    await gw.mgmt.send(new PostToConnectionCommand({ ConnectionId: idB, Data: '{"to":"b"}' }));
    await b.waitForJson((f) => f.to === 'b', 'the post to b');
    const error = await gw.mgmt
      .send(new PostToConnectionCommand({ ConnectionId: idA, Data: '{"to":"a"}' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoneException);
    await gw.mgmt.send(new PostToConnectionCommand({ ConnectionId: idA, Data: '{"to":"a"}' }));
    await a.waitForJson((f) => f.to === 'a', 'the post to a');
  });

  it('vanish() drops the socket without $disconnect; posts then find it gone', async () => {
    const client = await gw.connect('ok-ghost');
    const id = await client.connectionId();
    gw.gateway.vanish(id);
    expect((await client.closed).code).toBe(1006);
    await gw.gateway.idle();
    expect(gw.rec.of('$disconnect', id)).toEqual([]);
    expect(gw.gateway.connectionIds).not.toContain(id);
    const error = await gw.mgmt
      .send(new PostToConnectionCommand({ ConnectionId: id, Data: '{}' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GoneException);
  });
});

describe('a modelled post latency', () => {
  it('delivers and answers each post after the latency set, posts overlapping; 0 answers at once', async () => {
    const client = await gw.connect();
    const id = await client.connectionId();
    const post = (n: number) =>
      gw.mgmt.send(new PostToConnectionCommand({ ConnectionId: id, Data: `{"n":${n}}` }));
    gw.gateway.setPostLatency(250);
    try {
      const started = performance.now();
      const answered = await Promise.all(
        [1, 2, 3, 4].map((n) => post(n).then(() => performance.now() - started)),
      );
      // Each post waited the latency before it was delivered and answered (a lower bound only).
      for (const ms of answered) expect(ms).toBeGreaterThanOrEqual(240);
      await client.waitForJson((f) => f.n === 4, 'the fourth post');
      expect(() => gw.gateway.setPostLatency(-1)).toThrow(RangeError);
    } finally {
      gw.gateway.setPostLatency(0);
    }
    // A post to a socket that went away during the latency is gone, like on AWS: the socket is
    // looked up when the latency has passed.
    gw.gateway.setPostLatency(1500);
    try {
      const late = gw.mgmt
        .send(new PostToConnectionCommand({ ConnectionId: id, Data: '{"n":"late"}' }))
        .catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 300));
      gw.gateway.vanish(id);
      expect(await late).toBeInstanceOf(GoneException);
    } finally {
      gw.gateway.setPostLatency(0);
    }
  });
});
