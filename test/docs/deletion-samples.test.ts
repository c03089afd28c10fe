/**
 * The "Deleting the account" samples of client/README.md and docs/react-native.md compile against the
 * real client (client/src, as `@serverless-chat/client`) under the client's strict options: an app
 * developer copies them as they are. The third-party modules they import (Amplify's `deleteUser` and
 * `getCurrentUser`, async-storage 3's `createAsyncStorage` and default storage) are declared here
 * with the signatures those packages publish, as far as the samples use them; functions a sample
 * leaves to the app are declared in the sample itself. A control sample calling an undeclared
 * function must fail. test/client/e2e-deletion-sample.test.ts runs the README's against a stack.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import { tscErrors } from '../support/tsc.ts';

let WORK = '';
beforeAll(() => {
  WORK = mkdtempSync(join(tmpdir(), 'deletion-samples-'));
});
afterAll(() => rmSync(WORK, { recursive: true, force: true }));
let compiled = 0;

/** The ```ts blocks of the section under `heading` (up to the next heading of that level or above). */
function samplesOf(path: string, heading: string): string[] {
  const text = readFileSync(join(PROJECT_ROOT, path), 'utf8');
  const level = heading.split(' ')[0] ?? '##';
  const start = text.indexOf(`${heading}\n`);
  if (start < 0) throw new Error(`${path}: no "${heading}"`);
  const rest = text.slice(start + heading.length);
  const next = rest.search(new RegExp(`^#{1,${level.length}} `, 'm'));
  const section = next < 0 ? rest : rest.slice(0, next);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

const MODULES = `
declare module 'aws-amplify/auth' {
  export function deleteUser(): Promise<void>;
  export function getCurrentUser(): Promise<{ username: string; userId: string; signInDetails?: unknown }>;
}
declare module '@react-native-async-storage/async-storage' {
  export interface AsyncStorageLike {
    getAllKeys(): Promise<string[]>;
    getMany(keys: readonly string[]): Promise<Record<string, string | null>>;
    setMany(entries: Record<string, string>): Promise<void>;
    removeMany(keys: readonly string[]): Promise<void>;
    clear(): Promise<void>;
  }
  export function createAsyncStorage(name: string): AsyncStorageLike;
  const AsyncStorage: AsyncStorageLike;
  export default AsyncStorage;
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2020',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    lib: ['ES2024'],
    types: [],
    strict: true,
    noUncheckedIndexedAccess: true,
    isolatedModules: true,
    allowImportingTsExtensions: true,
    skipLibCheck: true,
    noEmit: true,
    paths: { '@serverless-chat/client': [join(PROJECT_ROOT, 'client/src/index.ts')] },
  },
};

function compile(files: Record<string, string>): string[] {
  const dir = join(WORK, String(++compiled));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'modules.d.ts'), MODULES);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ ...TSCONFIG, files: ['modules.d.ts', ...Object.keys(files)] }),
  );
  return tscErrors(dir);
}

it('client/README.md and docs/react-native.md: the account deletion samples compile', () => {
  const readme = samplesOf('client/README.md', '### Deleting the account');
  const reactNative = samplesOf('docs/react-native.md', '## Deleting the account');
  expect(readme.length).toBeGreaterThan(0);
  expect(reactNative.length).toBeGreaterThan(0);
  const files = Object.fromEntries([
    ...readme.map((text, i) => [`readme-${i}.ts`, text]),
    ...reactNative.map((text, i) => [`react-native-${i}.ts`, text]),
  ]);
  expect(compile(files)).toEqual([]);
}, 60_000);

it('the check can fail: a sample calling a function nobody declared', () => {
  const control = `import type { ChatClient } from '@serverless-chat/client';
export async function f(client: ChatClient) {
  await client.request('deleteAccount', { eraseMessages: true });
  await clearTheStore();
}
`;
  expect(compile({ 'control.ts': control }).join('\n')).toMatch(/clearTheStore/);
}, 60_000);

it("a misspelt state reason is a compile error (StateChange.reason is the union of the client's reasons)", () => {
  const control = `import type { ChatClient } from '@serverless-chat/client';
export function watch(client: ChatClient) {
  return client.on('state', (c) => c.state === 'closed' && c.reason === 'unauthorised');
}
`;
  expect(compile({ 'control.ts': control }).join('\n')).toMatch(/TS2367.*"unauthorised"/);
}, 60_000);
