/**
 * A real HTTP server that plays an AWS endpoint for the light request paths' tests
 * (`test/unit/light-posts.test.ts`, `test/unit/light-dynamo.test.ts`): it records every request it
 * receives and answers them in the order given (the last answer repeats).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReceivedRequest } from './sigv4.ts';

export type Answer = (res: ServerResponse) => void;

export interface RecordingServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every request received, in order (tests empty it as they need). */
  readonly received: ReceivedRequest[];
  /** How the next requests are answered, one by one; the last one answers all after it. */
  answer(...answers: Answer[]): void;
  close(): Promise<void>;
}

export async function startRecordingServer(...initial: Answer[]): Promise<RecordingServer> {
  const received: ReceivedRequest[] = [];
  let answers = initial;
  const server = createServer(async (req, res) => {
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
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    answer: (...next) => {
      answers = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
