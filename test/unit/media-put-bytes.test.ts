/**
 * putBytes (test/support/media.ts) reads the answer's body before returning: a body left unread keeps
 * its connection busy after the test, into the next test file of a shared worker
 * (test/support/shared-workers.ts). The answer it returns can still be read.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import type { Upload } from '../../lambdas/contract/objects.ts';
import { putBytes } from '../support/media.ts';

// More than the socket buffers hold: the server's answer finishes only once the client reads it.
const BODY = Buffer.alloc(8 * 1024 * 1024, 'x');
const answers: Promise<void>[] = [];
const server = createServer((req, res: ServerResponse) => {
  req.resume();
  req.on('end', () => {
    answers.push(new Promise((resolve) => res.on('finish', () => resolve())));
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length });
    res.end(BODY);
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('putBytes', () => {
  it('has read the answer when it returns, and the answer can still be read', async () => {
    const { port } = server.address() as AddressInfo;
    const upload = {
      uploadId: 'u',
      url: `http://127.0.0.1:${port}/bucket/key`,
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      expiresAt: new Date().toISOString(),
    } as unknown as Upload;
    const res = await putBytes(upload, new Uint8Array([1, 2, 3]));
    expect(res.status).toBe(200);
    const finished = await Promise.race([
      answers[0]?.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 1000)),
    ]);
    expect(finished).toBe(true);
    expect((await res.text()).length).toBe(BODY.length);
  });
});
