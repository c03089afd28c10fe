/**
 * What the Markdown documentation names exists in the code, and what the code declares is named in
 * its documentation:
 *
 * - every repository path a document mentions (`lambdas/…`, `test/…`, `docs/…`, a glob such as
 *   `test/e2e/chat-*.test.ts`) exists, but the build outputs;
 * - every `npm run <script>` is a script of package.json;
 * - every public method of a `ChatStore` repository (one named access pattern each) is named in
 *   docs/data-model.md, and every `store.<repository>.<method>` it names still exists;
 * - docs/protocol.md describes every action of the contract, every error code and every event.
 *
 * The AsyncAPI document is checked apart (test/contract/asyncapi*.test.ts), and the examples of
 * docs/protocol.md field by field (test/contract/doc-examples.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../lambdas/contract/errors.ts';
import { ACTION_NAMES, EVENTS } from '../../lambdas/contract/index.ts';
import { ChatStore } from '../../lambdas/data/store.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

/** Made by builds, never committed (web/README, client/README say how). */
const BUILD_OUTPUTS = new Set(['client/dist', 'web/dist']);
const SKIP_DIRS = new Set([
  'node_modules',
  '.git',
  'cdk.out',
  'test-results',
  '.dev',
  '.dynamodb',
  '.aws-calls',
]);

/** Every file under `dir` (relative to the project), build outputs and dependencies left out. */
function filesUnder(dir = PROJECT_ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return SKIP_DIRS.has(entry.name) || BUILD_OUTPUTS.has(relative(PROJECT_ROOT, path))
        ? []
        : filesUnder(path);
    return [relative(PROJECT_ROOT, path)];
  });
}

const FILES = filesUnder();
const DOCS = FILES.filter((f) => f.endsWith('.md'));
const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8');
const ROOTS = 'lambdas|lib|test|scripts|local|client|web|bench|hooks|docs|bin';
const PATH = new RegExp(`(?<![\\w/.-])((?:${ROOTS})/[\\w./*-]*[\\w*])`, 'g');

/** The paths `text` mentions that name nothing in the project. */
function missingPaths(text: string, files: readonly string[]): string[] {
  const dirs = new Set(files.flatMap((f) => f.split('/').map((_, i, parts) => parts.slice(0, i).join('/'))));
  const exists = (path: string) => {
    if (!path.includes('*')) return files.includes(path) || dirs.has(path) || BUILD_OUTPUTS.has(path);
    const pattern = new RegExp(`^${path.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}(/|$)`);
    return files.some((f) => pattern.test(f));
  };
  return [...new Set([...text.matchAll(PATH)].map((m) => m[1] ?? ''))].filter((p) => !exists(p));
}

/** The source of the file that declares class `name` in lambdas/data. */
function classSource(name: string): string {
  const file = FILES.find((f) => f.startsWith('lambdas/data/') && read(f).includes(`export class ${name} `));
  return file ? read(file) : '';
}

/** Every public method of each repository of the store (inherited ones too), as `repository.method`. */
function accessPatterns(): string[] {
  const store = new ChatStore({} as DynamoDBDocumentClient, 'table');
  return Object.entries(store).flatMap(([name, repository]) => {
    const methods = new Set<string>();
    for (let proto = Object.getPrototypeOf(repository); proto !== Object.prototype; ) {
      const source = classSource(proto.constructor.name);
      for (const method of Object.getOwnPropertyNames(proto))
        if (method !== 'constructor' && !new RegExp(`private (?:async )?${method}\\b`).test(source))
          methods.add(method);
      proto = Object.getPrototypeOf(proto);
    }
    return [...methods].map((m) => `${name}.${m}`);
  });
}

/**
 * The access patterns docs/data-model.md names: `repository.method` (and `… / method` after it) in
 * the first column of its tables, or a bare `method` in a table headed "pattern (`store.repo.`)",
 * and `(`repository.method`)` in the text.
 */
function namedPatterns(doc: string): Set<string> {
  const named = new Set<string>();
  let tableRepo: string | undefined;
  for (const line of doc.split('\n')) {
    const heading = /^\| pattern \(`store\.(\w+)\.`\)/.exec(line);
    if (heading) {
      tableRepo = heading[1];
      continue;
    }
    if (!line.startsWith('|')) tableRepo = undefined;
    // The first column, without its parenthesised notes (`listPage` (`listBlocked`): the action).
    const first = line.startsWith('|') ? (line.split('|')[1] ?? '').replace(/\([^)]*\)/g, '') : '';
    let repo = tableRepo;
    for (const m of first.matchAll(/`(?:(\w+)\.)?(\w+)`/g)) {
      repo = m[1] ?? repo;
      if (repo) named.add(`${repo}.${m[2]}`);
    }
    for (const m of line.matchAll(/`(\w+)\.(\w+)`/g)) if (m[2] !== 'ts') named.add(`${m[1]}.${m[2]}`);
  }
  return named;
}

describe('the documentation names what exists', () => {
  it.each(DOCS)('%s: every path it mentions exists', (doc) => {
    expect(missingPaths(read(doc), FILES)).toEqual([]);
  });

  it('every `npm run` names a script of package.json', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: object }).scripts);
    const named = DOCS.flatMap((doc) =>
      [...read(doc).matchAll(/npm run(?: -s| --silent)? ([\w:-]+)/g)].map((m) => `${doc}: ${m[1]}`),
    );
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((n) => !scripts.includes(n.split(': ')[1] ?? ''))).toEqual([]);
  });

  it('docs/data-model.md names every access pattern of the store, and none that is gone', () => {
    const patterns = accessPatterns();
    const cacheOnly = (p: string) => p.startsWith('heads.'); // the container's cache: no table access
    const named = namedPatterns(read('docs/data-model.md'));
    expect(patterns.filter((p) => !cacheOnly(p) && !named.has(p))).toEqual([]);
    const repositories = new Set(patterns.map((p) => p.split('.')[0]));
    const gone = [...named].filter((n) => repositories.has(n.split('.')[0]) && !patterns.includes(n));
    expect(gone).toEqual([]);
  });

  it('docs/protocol.md describes every action, error code and event', () => {
    const doc = read('docs/protocol.md');
    const described = (name: string) =>
      new RegExp(`^### (?:.*\\b)?${name}\\b`, 'm').test(doc) || doc.includes(`\`${name} {`);
    expect(ACTION_NAMES.filter((name) => !described(name))).toEqual([]);
    const errors = doc.slice(doc.indexOf('## Errors'), doc.indexOf('## Objects'));
    expect(ERROR_CODES.filter((code) => !errors.includes(`| \`${code}\``))).toEqual([]);
    const tables = doc.match(/^\| `[a-z.*]+` +\|/gm)?.map((row) => row.slice(3, row.indexOf('`', 3))) ?? [];
    const listed = (type: string) => tables.includes(type) || tables.includes(`${type.split('.')[0]}.*`);
    expect(Object.keys(EVENTS).filter((type) => !listed(type))).toEqual([]);
  });

  it('catches a path, an access pattern and a method that are not there', () => {
    expect(
      missingPaths('see `lambdas/data/store.ts` and lambdas/data/gone.ts, test/e2e/chat-*.test.ts', FILES),
    ).toEqual(['lambdas/data/gone.ts']);
    expect(missingPaths('test/e2e/nothing-*.test.ts', FILES)).toEqual(['test/e2e/nothing-*.test.ts']);
    const named = namedPatterns(
      '| `messages.get` / `messages.getSlot` | … |\n| `claims.claim` / `get` | … |\n\n| pattern (`store.due.`) | op |\n| `listDue` | … |\n',
    );
    expect([...named].sort()).toEqual([
      'claims.claim',
      'claims.get',
      'due.listDue',
      'messages.get',
      'messages.getSlot',
    ]);
    expect(accessPatterns()).toContain('messages.readSlots');
    expect(accessPatterns()).not.toContain('budgets.open'); // private
  });
});
