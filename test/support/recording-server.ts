/**
 * A real HTTP server that plays an AWS endpoint for the light request paths' tests
 * (`test/unit/light-posts.test.ts`, `test/unit/light-dynamo.test.ts`): it records every request it
 * receives and answers them in the order given (the last answer repeats). `startTlsRecordingServer`
 * is the same over HTTPS, with a certificate for `localhost` that `testAgent()` trusts.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { ReceivedRequest } from './sigv4.ts';

export type Answer = (res: ServerResponse) => void;

export interface RecordingServer {
  /** `http://127.0.0.1:<port>` (`https://localhost:<port>` over TLS) */
  readonly url: string;
  /** Every request received, in order (tests empty it as they need). */
  readonly received: ReceivedRequest[];
  /** How the next requests are answered, one by one; the last one answers all after it. */
  answer(...answers: Answer[]): void;
  close(): Promise<void>;
}

/** The test certificate authority's certificate (self-signed, for `localhost` and 127.0.0.1). */
const TLS_DIR = resolve(import.meta.dirname, 'tls');
const certificate = () => readFileSync(resolve(TLS_DIR, 'localhost.crt'));

/** A keep-alive HTTPS agent that trusts the TLS recording server's certificate (and no other). */
export function testAgent(): HttpsAgent {
  return new HttpsAgent({ keepAlive: true, ca: certificate() });
}

export function startRecordingServer(...initial: Answer[]): Promise<RecordingServer> {
  return start('http', initial);
}

export function startTlsRecordingServer(...initial: Answer[]): Promise<RecordingServer> {
  return start('https', initial);
}

async function start(protocol: 'http' | 'https', initial: Answer[]): Promise<RecordingServer> {
  const received: ReceivedRequest[] = [];
  let answers = initial;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks),
    });
    const next = answers.length > 1 ? answers.shift() : answers[0];
    next?.(res);
  };
  const server =
    protocol === 'http'
      ? createServer(handle)
      : createTlsServer(
          { key: readFileSync(resolve(TLS_DIR, 'localhost.key')), cert: certificate() },
          handle,
        );
  // On loopback only (a client resolving `localhost` to ::1 first falls back to 127.0.0.1).
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: protocol === 'http' ? `http://127.0.0.1:${port}` : `https://localhost:${port}`,
    received,
    answer: (...next) => {
      answers = next;
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
