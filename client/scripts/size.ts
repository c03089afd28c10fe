/**
 * The client's size as an app ships it: the whole package bundled, minified and gzipped.
 * `npm run client:size` prints it; the benchmark reports it; a test fails above the budget.
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from './build.ts';

/** The goal of issue 10: at most 12 KB minified + gzipped. */
export const CLIENT_SIZE_BUDGET_BYTES = 12 * 1024;

export interface ClientSize {
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  readonly budgetBytes: number;
  /** Text of the minified bundle (to check what it imports). */
  readonly code: string;
  /** The source files in the bundle, relative to the repository root. */
  readonly inputs: readonly string[];
}

export async function measureClientSize(): Promise<ClientSize> {
  const result = await build({ ...BUNDLE_OPTIONS, minify: true, write: false, metafile: true });
  const bytes = result.outputFiles[0]?.contents ?? new Uint8Array();
  return {
    minifiedBytes: bytes.length,
    gzipBytes: gzipSync(bytes, { level: 9 }).length,
    budgetBytes: CLIENT_SIZE_BUDGET_BYTES,
    code: new TextDecoder().decode(bytes),
    inputs: Object.keys(result.metafile.inputs).sort(),
  };
}

export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

if (process.argv[1]?.endsWith('size.ts')) {
  const size = await measureClientSize();
  const within = size.gzipBytes <= size.budgetBytes;
  process.stdout.write(
    `client bundle: ${kb(size.minifiedBytes)} minified, ${kb(size.gzipBytes)} gzipped (budget ${kb(size.budgetBytes)}): ${within ? 'within' : 'OVER'}\n`,
  );
  process.exitCode = within ? 0 : 1;
}
