/**
 * The HTTP endpoint of the local SQS stand-in (local/queue.ts has the queues and their consumers):
 * `SendMessage`, `SendMessageBatch` and `ChangeMessageVisibility` over the AWS JSON 1.0 protocol,
 * as the real `@aws-sdk/client-sqs` speaks it, with the MD5 digests it checks, SQS's 0–900 s timer
 * range and its 0–43,200 s visibility range.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCOUNT, LocalQueue, type LocalQueueOptions } from './queue.ts';

type SendEntry = { Id?: string; MessageBody?: string; DelaySeconds?: number };
type VisibilityInput = { ReceiptHandle?: string; VisibilityTimeout?: number };

/** The HTTP endpoint the SQS client talks to, and the queues behind it. */
export class LocalSqs {
  readonly #queues = new Map<string, LocalQueue>();
  #server: Server | undefined;
  #port = 0;

  constructor(readonly host = '127.0.0.1') {}

  /** http://host:port — the origin of its queue URLs, where the functions send (light-sqs.ts). */
  get endpoint(): string {
    return `http://${this.host}:${this.#port}`;
  }

  createQueue(name: string, options: LocalQueueOptions = {}): LocalQueue {
    const queue = new LocalQueue(name, `${this.endpoint}/${ACCOUNT}/${name}`, options);
    this.#queues.set(queue.url, queue);
    return queue;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => {
      void this.#serve(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => resolve());
    });
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
  }

  /** Resolves when every queue is idle (and stays so across one more round). */
  async idle(): Promise<void> {
    do await Promise.all([...this.#queues.values()].map((q) => q.idle()));
    while ([...this.#queues.values()].some((q) => q.depth > 0));
  }

  async stop(): Promise<void> {
    for (const queue of this.#queues.values()) queue.stop();
    await new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    let input: { QueueUrl?: string; Entries?: SendEntry[] } & SendEntry & VisibilityInput;
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch {
      return answer(res, 400, { __type: 'com.amazonaws.sqs#InvalidParameterValue', message: 'Bad JSON' });
    }
    const queue = this.#queues.get(String(input.QueueUrl));
    if (!queue) {
      return answer(res, 400, {
        __type: 'com.amazonaws.sqs#QueueDoesNotExist',
        message: 'The specified queue does not exist.',
      });
    }
    if (target === 'AmazonSQS.SendMessage') {
      if (!validDelay(input.DelaySeconds)) {
        return answer(res, 400, { __type: 'com.amazonaws.sqs#InvalidParameterValue', message: DELAY_RANGE });
      }
      const sent = queue.send(String(input.MessageBody ?? ''), input.DelaySeconds ?? 0);
      return answer(res, 200, { MessageId: sent.messageId, MD5OfMessageBody: sent.md5 });
    }
    if (target === 'AmazonSQS.SendMessageBatch') {
      const entries = input.Entries ?? [];
      if (entries.length === 0 || entries.length > 10) {
        return answer(res, 400, {
          __type: 'com.amazonaws.sqs#TooManyEntriesInBatchRequest',
          message: 'A batch holds 1 to 10 entries.',
        });
      }
      // Like SQS, an entry with a timer out of range fails alone; the others are sent.
      const refused = entries.filter((e) => !validDelay(e.DelaySeconds));
      const Successful = entries
        .filter((e) => validDelay(e.DelaySeconds))
        .map((e) => {
          const sent = queue.send(String(e.MessageBody ?? ''), e.DelaySeconds ?? 0);
          return { Id: e.Id, MessageId: sent.messageId, MD5OfMessageBody: sent.md5 };
        });
      const Failed = refused.map((e) => ({
        Id: e.Id,
        SenderFault: true,
        Code: 'InvalidParameterValue',
        Message: DELAY_RANGE,
      }));
      return answer(res, 200, { Successful, Failed });
    }
    if (target === 'AmazonSQS.ChangeMessageVisibility') {
      const seconds = input.VisibilityTimeout;
      if (!(Number.isInteger(seconds) && (seconds as number) >= 0 && (seconds as number) <= 43_200)) {
        return answer(res, 400, {
          __type: 'com.amazonaws.sqs#InvalidParameterValue',
          message: 'VisibilityTimeout must be an integer from 0 to 43200.',
        });
      }
      const changed = queue.changeVisibility(String(input.ReceiptHandle ?? ''), seconds as number);
      if (changed !== 'changed') {
        return answer(res, 400, { __type: `com.amazonaws.sqs#${changed}`, message: `${changed}.` });
      }
      return answer(res, 200, {});
    }
    return answer(res, 400, {
      __type: 'com.amazonaws.sqs#UnsupportedOperation',
      message: `${target || 'this action'} is not served by the local stand-in.`,
    });
  }
}

const DELAY_RANGE = 'DelaySeconds must be an integer from 0 to 900.';
const validDelay = (d: number | undefined) => d === undefined || (Number.isInteger(d) && d >= 0 && d <= 900);

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify(body));
}
