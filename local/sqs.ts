/**
 * The HTTP endpoint of the local SQS stand-in (local/queue.ts has the queues and their consumers):
 * `SendMessage`, `SendMessageBatch` and `ChangeMessageVisibility` over the AWS JSON 1.0 protocol,
 * as the real `@aws-sdk/client-sqs` speaks it, with the MD5 digests it checks, SQS's 0–900 s timer
 * range, its 0–43,200 s visibility range, and the characters it takes in a message body (the XML
 * set: a body with any other, U+FFFE, U+FFFF, a control character or a lone surrogate, is refused
 * `InvalidMessageContents`, alone in a batch, as SQS does).
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
    await Promise.all([...this.#queues.values()].map((queue) => queue.stop()));
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
      if (!validBody(input.MessageBody)) {
        return answer(res, 400, {
          __type: 'com.amazonaws.sqs#InvalidMessageContents',
          message: invalidBody(input.MessageBody),
        });
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
      // Like SQS, an entry with a timer out of range or a body it refuses fails alone; the others are sent.
      const Successful: { Id?: string; MessageId: string; MD5OfMessageBody: string }[] = [];
      const Failed: { Id?: string; SenderFault: true; Code: string; Message: string }[] = [];
      for (const e of entries) {
        if (!validDelay(e.DelaySeconds)) {
          Failed.push({ Id: e.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: DELAY_RANGE });
        } else if (!validBody(e.MessageBody)) {
          Failed.push({
            Id: e.Id,
            SenderFault: true,
            Code: 'InvalidMessageContents',
            Message: invalidBody(e.MessageBody),
          });
        } else {
          const sent = queue.send(String(e.MessageBody ?? ''), e.DelaySeconds ?? 0);
          Successful.push({ Id: e.Id, MessageId: sent.messageId, MD5OfMessageBody: sent.md5 });
        }
      }
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
/** SQS's message body characters: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
const OUTSIDE_BODY_SET = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const validBody = (body: string | undefined) => !OUTSIDE_BODY_SET.test(String(body ?? ''));
/** SQS's sentence, naming the first character it refused. */
function invalidBody(body: string | undefined): string {
  const bad = OUTSIDE_BODY_SET.exec(String(body ?? ''))?.[0] ?? '';
  const hex = (bad.codePointAt(0) ?? 0).toString(16).toUpperCase();
  return (
    `Invalid binary character '#x${hex}' was found in the message body, the set of allowed characters is ` +
    '#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF'
  );
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify(body));
}
