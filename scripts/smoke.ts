/**
 * `npm run smoke`: a short end-to-end check of a running stack (deployed, or `npm run dev`) with two
 * users, reporting every step with its time:
 *
 *   connect both · ping · createChat (direct) and chat.created · sendMessage and message.created ·
 *   readMessage and message.read · history · getPresence · disconnect and presence offline ·
 *   deleteChat (when the run created the chat)
 *
 *   npm run smoke -- --url wss://abc.execute-api.eu-west-1.amazonaws.com/prod --token "$A" --token "$B"
 *   npm run smoke -- --outputs cdk-outputs.json --token "$A" --token "$B"   # cdk deploy --outputs-file
 *   npm run smoke -- --stack ServerlessChat --token "$A" --token "$B"       # asks the AWS CLI
 *
 * The two tokens must belong to two different users, and the second user must have no other socket open
 * during the run (its disconnect must take it offline). Exit code 0 when every step passed, 1 otherwise.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type Frame, SmokeClient, subjectOf, withToken } from './smoke-client.ts';

export interface SmokeOptions {
  /** ws:// or wss:// URL of the stage. */
  readonly url: string;
  /** Tokens of two different users: A drives, B answers. */
  readonly tokens: readonly [string, string];
  /** Per-step timeout. @default 10000 */
  readonly timeoutMs?: number;
  /** Called as each step ends (the CLI prints it). */
  readonly onStep?: (step: SmokeStep) => void;
}

export interface SmokeStep {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  readonly detail?: string;
}

export interface SmokeReport {
  readonly ok: boolean;
  readonly steps: readonly SmokeStep[];
  readonly totalMs: number;
}

const messageIdOf = (f: Frame) => (f.message as { messageId?: string } | undefined)?.messageId;

export async function runSmoke(options: SmokeOptions): Promise<SmokeReport> {
  const timeout = options.timeoutMs ?? 10_000;
  const [tokenA, tokenB] = options.tokens;
  const steps: SmokeStep[] = [];
  const started = performance.now();
  const clients: SmokeClient[] = [];

  const step = async <T>(name: string, run: () => Promise<T>, detail?: (value: T) => string): Promise<T> => {
    const t = performance.now();
    try {
      const value = await run();
      const done: SmokeStep = {
        name,
        ok: true,
        ms: performance.now() - t,
        ...(detail ? { detail: detail(value) } : {}),
      };
      steps.push(done);
      options.onStep?.(done);
      return value;
    } catch (error) {
      const failed: SmokeStep = {
        name,
        ok: false,
        ms: performance.now() - t,
        detail: (error as Error).message,
      };
      steps.push(failed);
      options.onStep?.(failed);
      throw error;
    }
  };

  try {
    const label = (name: string, token: string) => {
      try {
        return subjectOf(token);
      } catch (error) {
        throw new Error(`token ${name}: ${(error as Error).message}`);
      }
    };
    const userA = label('A', tokenA);
    const userB = label('B', tokenB);
    if (userA === userB) throw new Error('the two tokens belong to the same user; pass tokens of two users');
    const a = await step('connect user A', () =>
      SmokeClient.connect(withToken(options.url, tokenA), timeout),
    );
    clients.push(a);
    const b = await step('connect user B', () =>
      SmokeClient.connect(withToken(options.url, tokenB), timeout),
    );
    clients.push(b);
    await step('ping', () => a.ok('ping', {}, timeout));

    const created = await step(
      'createChat (direct) → chat.created to B',
      async () => {
        const ack = await a.ok('createChat', { kind: 'direct', userId: userB }, timeout);
        const chat = ack.chat as { chatId: string };
        if (ack.created) {
          await b.waitFor(
            (f) => f.type === 'chat.created' && (f.chat as { chatId?: string }).chatId === chat.chatId,
            timeout,
            'chat.created on B',
          );
        }
        return { chatId: chat.chatId, created: ack.created === true };
      },
      (c) => `${c.chatId}${c.created ? '' : ' (the pair already had it)'}`,
    );
    const { chatId } = created;

    const text = `smoke ${new Date().toISOString()}`;
    const message = await step(
      'sendMessage → message.created to B',
      async () => {
        const ack = await a.ok(
          'sendMessage',
          { chatId, text, clientMessageId: `smoke-${randomBytes(4).toString('hex')}` },
          timeout,
        );
        const sent = ack.message as { messageId: string; seq: number };
        await b.waitFor(
          (f) => f.type === 'message.created' && messageIdOf(f) === sent.messageId,
          timeout,
          'message.created on B',
        );
        return sent;
      },
      (m) => `seq ${m.seq}`,
    );

    await step('readMessage (B) → message.read to A', async () => {
      await b.ok('readMessage', { chatId, messageId: message.messageId }, timeout);
      await a.waitFor(
        (f) => f.type === 'message.read' && f.userId === userB && Number(f.lastReadSeq) >= message.seq,
        timeout,
        'message.read on A',
      );
    });

    await step('history (B) holds the message', async () => {
      const ack = await b.ok('history', { chatId, limit: 10 }, timeout);
      const messages = ack.messages as { messageId: string; text: string }[];
      if (!messages.some((m) => m.messageId === message.messageId && m.text === text)) {
        throw new Error('the sent message is not in the history');
      }
    });

    await step('getPresence (A asks about B) → online', async () => {
      const ack = await a.ok('getPresence', { userIds: [userB] }, timeout);
      const presence = (ack.presence as { userId: string; online: boolean }[]).find(
        (p) => p.userId === userB,
      );
      if (!presence?.online) throw new Error(`B is reported ${JSON.stringify(presence)}`);
    });

    await step('disconnect B → presence offline to A', async () => {
      const offline = a.waitFor(
        (f) => f.type === 'presence' && f.userId === userB && f.online === false,
        timeout,
        'presence offline on A (does B have another socket open?)',
      );
      await b.close();
      await offline;
    });

    if (created.created) await step('deleteChat (clean up)', () => a.ok('deleteChat', { chatId }, timeout));
    await step('disconnect A', () => a.close());
  } catch (error) {
    if (steps.every((s) => s.ok)) {
      const failed: SmokeStep = { name: 'setup', ok: false, ms: 0, detail: (error as Error).message };
      steps.push(failed);
      options.onStep?.(failed);
    }
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
  return { ok: steps.every((s) => s.ok), steps, totalMs: performance.now() - started };
}

/** The stage URL from `cdk deploy --outputs-file` output, or from the AWS CLI. */
export function urlFromOutputs(source: { file?: string; stack?: string }): string {
  if (source.file) {
    const outputs = JSON.parse(readFileSync(source.file, 'utf8')) as Record<string, Record<string, string>>;
    const stacks = Object.entries(outputs).filter(([name]) => !source.stack || name === source.stack);
    const url = stacks.map(([, o]) => o.WebSocketUrl).find(Boolean);
    if (!url)
      throw new Error(
        `no WebSocketUrl output in ${source.file}${source.stack ? ` for ${source.stack}` : ''}`,
      );
    return url;
  }
  const stack = source.stack ?? 'ServerlessChat';
  return execFileSync(
    'aws',
    [
      'cloudformation',
      'describe-stacks',
      '--stack-name',
      stack,
      '--query',
      "Stacks[0].Outputs[?OutputKey=='WebSocketUrl'].OutputValue",
      '--output',
      'text',
    ],
    { encoding: 'utf8' },
  ).trim();
}

const USAGE = `usage: npm run smoke -- (--url URL | --outputs FILE | --stack NAME) --token A --token B [--timeout ms] [--json]`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      outputs: { type: 'string' },
      stack: { type: 'string' },
      token: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const tokens = values.token ?? [];
  if (values.help || tokens.length !== 2 || !(values.url || values.outputs || values.stack)) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const url =
    values.url ??
    urlFromOutputs({
      ...(values.outputs ? { file: values.outputs } : {}),
      ...(values.stack ? { stack: values.stack } : {}),
    });
  const timeoutMs = values.timeout ? Number(values.timeout) : 10_000;
  if (!values.json) process.stdout.write(`smoke test against ${url}\n`);
  const report = await runSmoke({
    url,
    tokens: [tokens[0] as string, tokens[1] as string],
    timeoutMs,
    onStep: (s) => {
      if (values.json) return;
      const time = `${Math.round(s.ms)} ms`.padStart(8);
      process.stdout.write(
        `${s.ok ? 'ok  ' : 'FAIL'} ${time}  ${s.name}${s.detail ? `: ${s.detail}` : ''}\n`,
      );
    },
  });
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${report.ok ? 'passed' : 'FAILED'} in ${Math.round(report.totalMs)} ms\n`);
  process.exit(report.ok ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
