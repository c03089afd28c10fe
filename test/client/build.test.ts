/**
 * The package as it ships: the bundle (size budget, nothing but the client's own code, no Node
 * APIs), the build (ESM + declarations that stand alone), the generated wire types proven equal to
 * the contract's, the typed API as a consumer's compiler sees it, and the built bundle working
 * over a real `ws` socket.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { buildClient, CLIENT_DIR, INTERNAL_PROPS } from '../../client/scripts/build.ts';
import { kb, measureClientSize } from '../../client/scripts/size.ts';
import { tscErrors } from '../support/tsc.ts';

const ROOT = resolve(CLIENT_DIR, '..');
const WORK = join(ROOT, 'node_modules/.cache', `client-build-test-${process.pid}`);
const DIST = join(WORK, 'dist');

beforeAll(() => {
  mkdirSync(WORK, { recursive: true });
});
afterAll(() => {
  rmSync(WORK, { recursive: true, force: true });
});

describe('the bundle', () => {
  it(`is at most 12 KB minified + gzipped, and carries only the client's own code`, async () => {
    const size = await measureClientSize();
    process.stdout.write(
      `client bundle: ${kb(size.minifiedBytes)} minified, ${kb(size.gzipBytes)} gzipped\n`,
    );
    expect(size.gzipBytes).toBeLessThanOrEqual(size.budgetBytes);
    expect(size.inputs.every((file) => file.startsWith('client/src/'))).toBe(true);
    expect(size.code).not.toMatch(/\bimport\b[\s{*("']|\brequire\(|node:|process\.|Buffer\b/);
  });
});

describe('the build', () => {
  let files: string[];
  beforeAll(async () => {
    files = await buildClient(DIST);
  }, 60_000);

  it('writes ESM and declarations that point nowhere outside the package', () => {
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'contract.d.ts', 'client.d.ts']));
    for (const file of files.filter((f) => f.endsWith('.d.ts'))) {
      const text = readFileSync(join(DIST, file), 'utf8');
      expect(text, file).not.toMatch(/(from|import\() ?['"]([^'"]*(lambdas|valibot)|[^'"]+\.ts['"])/);
    }
    const pkg = JSON.parse(readFileSync(join(CLIENT_DIR, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ type: 'module', exports: { '.': { types: './dist/index.d.ts' } } });
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it('types: the generated wire types equal the contract, and the API type-checks as a consumer uses it', () => {
    writeFileSync(join(WORK, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    writeFileSync(join(WORK, 'equal.ts'), EQUAL.replace('CONTRACT', relativeContract()));
    writeFileSync(join(WORK, 'use.ts'), USE);
    writeFileSync(join(WORK, 'control.ts'), CONTROL.replace('CONTRACT', relativeContract()));
    const errors = tscErrors(WORK);
    // Only the control file, made to fail, fails: the checks can fail, and the others pass.
    // tsc names it by its path from the real directory: `control.ts(…` here, longer through a
    // symlinked node_modules (a clone that links another checkout's).
    const control = (line: string) => /^(.*\/)?control\.ts\(/.test(line);
    expect(errors.filter((line) => !control(line))).toEqual([]);
    expect(errors.filter(control).length).toBe(2);
  }, 60_000);

  it('shortens only internal names: none is a field of the published types, a quoted string of the client or a built-in', () => {
    const uncommented = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    // What crosses the package's edge: the wire and store types, the options, events and ChatClient's
    // public members (its private ones are left out first).
    const published = ['index', 'api', 'client', 'contract', 'errors', 'frame', 'helpers', 'store', 'urls']
      .map((name) => uncommented(readFileSync(join(DIST, `${name}.d.ts`), 'utf8')))
      .join('\n')
      .replace(/^\s*private (readonly )?\w+;$/gm, '');
    const source = readdirSync(join(CLIENT_DIR, 'src'))
      .map((file) => uncommented(readFileSync(join(CLIENT_DIR, 'src', file), 'utf8')))
      .join('\n');
    const builtIns = new Set(
      [Object, Array, Map, Set, WeakMap, Promise, String, Number, Date, Error, RegExp, Symbol, Function]
        .flatMap((c) => [...Object.getOwnPropertyNames(c), ...Object.getOwnPropertyNames(c.prototype)])
        .concat(Object.getOwnPropertyNames(Math), Object.getOwnPropertyNames(JSON))
        .concat(['onopen', 'onmessage', 'onerror', 'onclose', 'readyState', 'send', 'close', 'data', 'code'])
        .concat(['setTimeout', 'clearTimeout', 'atob', 'WebSocket', 'performance', 'now', 'fetch']),
    );
    expect(INTERNAL_PROPS.length).toBeGreaterThan(50);
    for (const name of INTERNAL_PROPS) {
      expect(published, name).not.toMatch(
        new RegExp(`^\\s*(readonly\\s+)?(get\\s+)?${name}\\??\\s*[:(<]`, 'm'),
      );
      expect(source, name).not.toMatch(new RegExp(`['"\`]${name}['"\`]`));
      expect(builtIns.has(name), name).toBe(false);
    }
    // The check can fail: a public member and a quoted field are found.
    expect(published).toMatch(/^\s*(readonly\s+)?(get\s+)?syncNow\??\s*[:(<]/m);
    expect(source).toMatch(/['"`]lastReadSeq['"`]/);
  });

  it('runs: the built bundle connects over a `ws` socket and matches a reply', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) =>
      socket.on('message', (data) => {
        const frame = JSON.parse(String(data));
        socket.send(JSON.stringify({ type: 'pong', action: frame.action, requestId: frame.requestId }));
      }),
    );
    const port = (server.address() as { port: number }).port;
    const mod = await import(pathToFileURL(join(DIST, 'index.js')).href);
    const client = mod.connect({ url: `ws://127.0.0.1:${port}`, token: 't', WebSocket, sync: false });
    try {
      await expect(client.request('ping')).resolves.toMatchObject({ type: 'pong' });
      expect(client.state).toBe('open');
    } finally {
      client.close();
      server.close();
    }
  });
});

const relativeContract = (): string => '../../../lambdas/contract/index.ts';

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    // DOM only for valibot's own declarations (Blob, File), which the contract side pulls in.
    lib: ['ES2024', 'DOM'],
    types: [],
    strict: true,
    noEmit: true,
    // The package's own declarations are checked too (an unresolved name would turn into any).
    skipLibCheck: false,
    allowImportingTsExtensions: true,
  },
  files: ['equal.ts', 'use.ts', 'control.ts'],
};

const EQUAL = `
import type * as C from 'CONTRACT';
import type * as G from './dist/contract.js';
type Eq<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type Checks = [
  Assert<Eq<G.ActionName, C.ActionName>>,
  Assert<{ [N in C.ActionName]: Eq<G.RequestInput<N>, C.RequestInput<N>> }[C.ActionName]>,
  Assert<{ [N in C.ActionName]: Eq<G.Ack<N>, C.Ack<N>> }[C.ActionName]>,
  Assert<Eq<G.EventType, C.EventType>>,
  Assert<{ [T in C.EventType]: Eq<G.EventFrame<T>, C.EventFrame<T>> }[C.EventType]>,
  Assert<Eq<G.Message, C.Message>>,
  Assert<Eq<G.Chat, C.Chat>>,
  Assert<Eq<G.ChatSummary, C.ChatSummary>>,
  Assert<Eq<G.Scheduled, C.Scheduled>>,
  Assert<Eq<G.Upload, C.Upload>>,
];
`;

const USE = `
import { type ChatClient, ChatClientError, connect, MemoryStore } from './dist/index.js';
export async function use(client: ChatClient): Promise<number> {
  const ack = await client.request('sendMessage', { chatId: 'c', text: 'hi', clientMessageId: 'x' });
  const page = await client.request('listChats');
  await client.request('createChat', { kind: 'group', name: 'n', memberIds: [] });
  client.on('message.created', (event) => event.message.text.length);
  client.on('state', (change) => change.state === 'closed');
  try {
    await client.request('sync', { chatId: 'c', sinceVer: 0 });
  } catch (error) {
    if (error instanceof ChatClientError && error.code === 'RATE_LIMITED') return error.retryAfterMs ?? 0;
  }
  // @ts-expect-error not an action
  await client.request('fly', {});
  // @ts-expect-error chatId is required
  await client.request('sendMessage', { text: 'hi' });
  // @ts-expect-error not an event
  client.on('message.flew', () => 0);
  // @ts-expect-error an irreversible action takes only its own fields (a misspelt eraseMessages)
  await client.request('deleteAccount', { eraseMesages: true });
  // @ts-expect-error deleteAccount takes no userId
  await client.request('deleteAccount', { userId: 'u' });
  connect({ url: 'ws://x', token: async () => 't', store: new MemoryStore() }).close();
  return ack.message.seq + page.chats.length;
}
`;

/** Two checks that must fail (proof that the checks above can fail). */
const CONTROL = `
import type * as C from 'CONTRACT';
import type * as G from './dist/contract.js';
type Eq<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type Fails = Assert<Eq<G.Message, C.Chat>>;
export type AlsoFails = Assert<Eq<G.RequestInput<'history'>, C.RequestInput<'sync'>>>;
`;
