/**
 * Bundle-size budget and module-load cost of every function of the stack (scripts/stack-functions.ts:
 * the API's and the workers, consumers and scheduled ones), measured from the synthesized assets.
 *
 *   npm run bundle-size [-- --runs 7] [--only Connect,Ping] [--markdown]
 *
 * 1. Synthesizes the stack with bundling (the same NodejsFunction bundling `cdk deploy` uploads) into
 *    cdk.out/bundle-size/assembly and reads each function's `index.mjs` from its asset directory.
 * 2. Builds the same handler unbundled: only the project's own TypeScript is transpiled into one file,
 *    every package is loaded from node_modules (what a function deployed without bundling would do).
 * 3. Times `import()` of each variant in fresh `node` processes (median of --runs) — the bundle as
 *    deployed (with --enable-source-maps), the bundle without source maps, and the node_modules variant.
 * 4. Fails (exit 1) when a bundle exceeds BUNDLE_BUDGET_BYTES or does not load.
 *
 * Timings are machine-dependent figures, printed for the docs; only the byte budget fails the script.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Annotations, App, type CfnResource } from 'aws-cdk-lib';
import { build, type Metafile } from 'esbuild';
import { BUNDLE, BUNDLE_BUDGET_BYTES, BUNDLE_FILE, esbuildOptions } from '../lib/bundling.ts';
import { PROJECT_ROOT } from '../lib/chat-function.ts';
import { ChatStack, NO_ALARM_TOPIC_WARNING } from '../lib/chat-stack.ts';
import { FEATURE_FLAGS } from '../lib/feature-flags.ts';
import { stackFunctions } from './stack-functions.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string' },
    markdown: { type: 'boolean', default: false },
  },
});
const runs = Math.max(1, Number(args.runs) || 5);
const only = args.only ? new Set(args.only.split(',').map((s) => s.trim())) : undefined;

const OUT = resolve(PROJECT_ROOT, 'cdk.out/bundle-size');
const ASSEMBLY = join(OUT, 'assembly');
const UNBUNDLED = join(OUT, 'unbundled');

interface Measured {
  readonly name: string;
  readonly entry: string;
  readonly bundle: string;
  readonly bytes: number;
  readonly mapBytes: number;
  readonly unbundled: string;
  readonly loadMaps: Timing[];
  readonly loadPlain: Timing[];
  readonly loadNodeModules: Timing[];
}

/** Wall-clock and CPU (user + system) milliseconds of one `import()`. */
interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
/** `wall (cpu)` medians: on a busy machine the CPU time is the steadier figure. */
const ms = (values: readonly Timing[]): string =>
  `${median(values.map((v) => v.wall)).toFixed(0)} ms (${median(values.map((v) => v.cpu)).toFixed(0)} ms)`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Imports `file` in a fresh node process and returns how long the import took. */
function loadTime(file: string, nodeArgs: readonly string[]): Timing {
  const code = [
    'const c = process.cpuUsage();',
    'const t = performance.now();',
    'const m = await import(process.env.LOAD_URL);',
    'const wall = performance.now() - t;',
    'const u = process.cpuUsage(c);',
    "if (typeof m.handler !== 'function') throw new Error('no handler export');",
    'process.stdout.write(JSON.stringify({ wall, cpu: (u.user + u.system) / 1000 }));',
  ].join(' ');
  const out = execFileSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', code], {
    env: {
      PATH: process.env.PATH ?? '',
      LOAD_URL: pathToFileURL(file).href,
      AWS_REGION: 'eu-west-1',
      TABLE_NAME: 'chat',
      WS_MANAGEMENT_ENDPOINT: 'https://example.execute-api.eu-west-1.amazonaws.com/prod',
      LOG_LEVEL: 'ERROR',
    },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as Timing;
}

/** The heaviest packages of a bundle (for a function over budget). */
async function heaviest(entry: string): Promise<string> {
  const result = await build({
    ...esbuildOptions(entry, join(OUT, 'analyze.mjs')),
    write: false,
    metafile: true,
  });
  const output = Object.values((result.metafile as Metafile).outputs).find((o) => o.entryPoint);
  const byPackage = new Map<string, number>();
  for (const [file, input] of Object.entries(output?.inputs ?? {})) {
    const key = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? 'project code';
    byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
  }
  return [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([name, bytes]) => `${name} ${kb(bytes)}`)
    .join(', ');
}

async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(UNBUNDLED, { recursive: true });

  console.error('Synthesizing with bundling…');
  const app = new App({
    outdir: ASSEMBLY,
    context: { ...FEATURE_FLAGS, 'aws:cdk:enable-asset-metadata': true },
  });
  const stack = new ChatStack(app, 'BundleSize');
  // Synthesized for its bundles only: that its alarms notify nobody is no news here.
  Annotations.of(stack).acknowledgeWarning(NO_ALARM_TOPIC_WARNING, 'Synthesized for its bundles only.');
  app.synth();
  const template = JSON.parse(readFileSync(join(ASSEMBLY, `${stack.artifactId}.template.json`), 'utf8')) as {
    Resources: Record<string, { Metadata?: Record<string, string> }>;
  };

  const measured: Measured[] = [];
  // Every function: the API's routes and authorizer, and the workers, consumers and scheduled ones.
  for (const { name, fn } of stackFunctions(stack)) {
    if (only && !only.has(name)) continue;
    const logicalId = stack.getLogicalId(fn.function.node.defaultChild as CfnResource);
    const assetDir = template.Resources[logicalId]?.Metadata?.['aws:asset:path'];
    if (!assetDir) throw new Error(`${name}: no asset path in the template`);
    const bundle = join(ASSEMBLY, assetDir, BUNDLE_FILE);
    const unbundled = join(UNBUNDLED, `${name}.mjs`);
    await build({
      entryPoints: [fn.entry],
      outfile: unbundled,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: BUNDLE.target,
      logLevel: 'warning',
    });
    measured.push({
      name,
      entry: fn.entry,
      bundle,
      bytes: statSync(bundle).size,
      mapBytes: statSync(`${bundle}.map`).size,
      unbundled,
      loadMaps: [],
      loadPlain: [],
      loadNodeModules: [],
    });
  }

  console.error(
    `Timing module load: ${measured.length} functions × 3 variants × ${runs} fresh node processes…`,
  );
  for (let run = 0; run < runs; run++) {
    for (const m of measured) {
      m.loadMaps.push(loadTime(m.bundle, ['--enable-source-maps']));
      m.loadPlain.push(loadTime(m.bundle, []));
      m.loadNodeModules.push(loadTime(m.unbundled, []));
    }
  }

  const header = [
    'function',
    'bundle',
    'source map',
    'load: bundle + source maps (as deployed)',
    'load: bundle',
    'load: from node_modules',
  ];
  const rows = measured.map((m) => [
    m.name,
    kb(m.bytes),
    kb(m.mapBytes),
    ms(m.loadMaps),
    ms(m.loadPlain),
    ms(m.loadNodeModules),
  ]);
  if (args.markdown) {
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  } else {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (cells: readonly string[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
    console.log(line(header));
    for (const r of rows) console.log(line(r));
  }
  console.log(
    `\nBudget ${kb(BUNDLE_BUDGET_BYTES)} per bundle. Load: median wall-clock (CPU) time of import() in ${runs} fresh node ${process.versions.node} processes.`,
  );

  const over = measured.filter((m) => m.bytes > BUNDLE_BUDGET_BYTES);
  for (const m of over) {
    console.error(`OVER BUDGET: ${m.name} is ${kb(m.bytes)} (budget ${kb(BUNDLE_BUDGET_BYTES)})`);
    console.error(`  heaviest packages: ${await heaviest(m.entry)}`);
  }
  if (over.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
