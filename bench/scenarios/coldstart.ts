/**
 * Cold start proxy, per handler (every route of lib/routes.ts and the authorizer):
 *
 * - bundled: the deployed bundle, built with the shared options of lib/bundling.ts (ESM, minified,
 *   AWS SDK bundled); its size in bytes (without the source map) and gzip'd;
 * - unbundled: our own TypeScript transpiled into one ESM file but every package left external
 *   (`packages: 'external'`), so the AWS SDK, middy and jose load from node_modules as they would
 *   from an unbundled deployment package.
 *
 * Load time: a fresh `node` process per sample times only `await import(bundle)` (node's own start-up
 * is excluded); the figure is the median of N processes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { esbuildOptions } from '../../lib/bundling.ts';
import { AUTHORIZER, ROUTES } from '../../lib/routes.ts';
import { WORKERS } from '../../lib/workers.ts';
import { ROOT } from '../../local/stack.ts';

export interface HandlerColdStart {
  readonly handler: string;
  readonly entry: string;
  readonly bundleBytes: number;
  readonly bundleGzipBytes: number;
  /** Median ms of `await import()` in fresh processes. */
  readonly bundledLoadMs: number;
  readonly unbundledLoadMs: number;
}

const TIMER = [
  'const t = performance.now();',
  'await import(process.argv[1]);',
  'process.stdout.write(String(performance.now() - t));',
].join(' ');

function loadMs(file: string): number {
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', TIMER, pathToFileURL(file).href], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 30_000,
  });
  const ms = Number(out.stdout);
  if (out.status !== 0 || !Number.isFinite(ms)) throw new Error(`loading ${file} failed: ${out.stderr}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export async function coldStart(
  runs: number,
  onTick: (fraction: number, label: string) => void,
): Promise<HandlerColdStart[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cold-'));
  // Unbundled files resolve their packages from the repository's node_modules.
  symlinkSync(resolve(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  mkdirSync(join(dir, 'bundled'));
  mkdirSync(join(dir, 'unbundled'));
  const handlers = [
    ...ROUTES.map((r) => ({ handler: r.routeKey, entry: r.entry })),
    { handler: '$authorizer', entry: AUTHORIZER.entry },
    ...WORKERS.map((w) => ({ handler: w.name, entry: w.entry })),
  ];
  const results: HandlerColdStart[] = [];
  try {
    for (const [i, h] of handlers.entries()) {
      onTick(i / handlers.length, `cold start: ${h.handler}`);
      const safe = h.handler.replace(/\$/g, '_');
      const entry = resolve(ROOT, h.entry);
      const bundled = join(dir, 'bundled', `${safe}.mjs`);
      const unbundled = join(dir, 'unbundled', `${safe}.mjs`);
      await build({ ...esbuildOptions(entry, bundled), logLevel: 'error' });
      await build({
        entryPoints: [entry],
        outfile: unbundled,
        bundle: true,
        packages: 'external',
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'error',
      });
      const b: number[] = [];
      const u: number[] = [];
      for (let r = 0; r < runs; r++) {
        b.push(loadMs(bundled));
        u.push(loadMs(unbundled));
      }
      results.push({
        handler: h.handler,
        entry: h.entry,
        bundleBytes: statSync(bundled).size,
        bundleGzipBytes: gzipSync(readFileSync(bundled)).length,
        bundledLoadMs: Math.round(median(b) * 10) / 10,
        unbundledLoadMs: Math.round(median(u) * 10) / 10,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  onTick(1, 'cold start done');
  return results;
}
