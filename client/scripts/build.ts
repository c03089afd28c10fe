/**
 * Builds the package into client/dist: `index.js` (ESM, one file, esbuild) and the declarations
 * (`tsc --emitDeclarationOnly`, import specifiers rewritten to `.js`, and `contract.d.ts` replaced by
 * the standalone wire types of contract-dts.ts). `npm run client:build` at the root, or
 * `npm run build` in client/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { contractDeclarations } from './contract-dts.ts';

export const CLIENT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(CLIENT_DIR, '..');
export const ENTRY = join(CLIENT_DIR, 'src/index.ts');

/**
 * Property names used only inside the client (private members, internal fields and hooks: never a
 * field of a frame, of the store or of the public API), shortened in the bundle by esbuild's
 * mangleProps: about 580 bytes less gzipped. test/client/build.test.ts checks each against the published
 * declarations, the client's quoted strings and the built-ins, and runs the built bundle. Not every
 * internal name is worth it: `ready` and `run` (Outbox, ChatEntry, Syncer) left whole made the gzipped
 * bundle 13 bytes smaller (stop 51: their short mangled names compressed worse; measure again when
 * adding or dropping a name, the effect moves as the code does).
 */
export const INTERNAL_PROPS: readonly string[] = `
  above acked advance again armPing arrived ask asleep authRetried back backoffMs batch built busy bySeq
  bytes cancelTimers catchUp change changed changes conn counted countedAbove countedAt countedSeq
  current cut deliveredAt deliverFailures deliveries delivering delivers dial dialing dialTimer dirty drop due
  early emit ended ensure events expired expiryTimer failAll failLargest failure finish first frame fresh gapTimer
  gates gone hasGap head held hold holds hooks hurry idle inFlight intervalMs items joined lag lastId lost
  live markLoaded maxSeq missed named naps newest once onEvent onOpen onState opened othersSeq out outboxLoaded
  pingTimer plannedTimer prefix probe proceed promise pump pumpAll put queue reacted readTo receipted receipts
  refreshed redial refused release renewal replica req restored resync resyncOnce retry rewind running
  saveOutbox seen settle shut socket stale stamp start stop stored stub summary synced syncer take tick
  ticking timer tokenExpired tokens told touch tries unsaved unstored user versions wait waiting waits wake wakes
  wants went writer
`
  .trim()
  .split(/\s+/);

/** What every bundle of the client is built with: one ESM file for any platform; internal names short. */
export const BUNDLE_OPTIONS = {
  entryPoints: [ENTRY],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  legalComments: 'none',
  logLevel: 'silent',
  mangleProps: new RegExp(`^(${INTERNAL_PROPS.join('|')})$`),
} satisfies BuildOptions;

export async function buildClient(outDir = join(CLIENT_DIR, 'dist')): Promise<string[]> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({ ...BUNDLE_OPTIONS, outfile: join(outDir, 'index.js'), sourcemap: true });

  const tmp = mkdtempSync(join(tmpdir(), 'client-dts-'));
  try {
    const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');
    const args = ['-p', join(CLIENT_DIR, 'tsconfig.json'), '--noEmit', 'false', '--declaration'];
    try {
      execFileSync(
        process.execPath,
        [tsc, ...args, '--emitDeclarationOnly', '--outDir', tmp, '--rootDir', ROOT],
        {
          stdio: 'pipe',
        },
      );
    } catch (error) {
      throw new Error(`tsc failed:\n${String((error as { stdout?: Buffer }).stdout ?? error)}`);
    }
    const emitted = join(tmp, 'client/src');
    for (const file of readdirSync(emitted).filter((f) => f.endsWith('.d.ts'))) {
      const text = readFileSync(join(emitted, file), 'utf8').replace(
        /(['"])(\.\.?\/[^'"]+)\.ts\1/g,
        (_all, quote: string, path: string) => `${quote}${path}.js${quote}`,
      );
      if (text.includes('lambdas/') && file !== 'contract.d.ts') {
        throw new Error(`${file} still points outside the package`);
      }
      writeFileSync(join(outDir, file), text);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  writeFileSync(join(outDir, 'contract.d.ts'), contractDeclarations());
  return readdirSync(outDir).sort();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const files = await buildClient(process.argv[2] ? resolve(process.argv[2]) : undefined);
  process.stdout.write(`client built: ${files.join(', ')}\n`);
}
