/**
 * The TypeScript compiler run on a folder of its own (its tsconfig.json), as a test reads it: the
 * `error TSnnnn` lines, none when it compiles. The published types' check (test/client/build.test.ts)
 * and the docs' samples (test/docs/deletion-samples.test.ts) use it.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function tscErrors(dir: string): string[] {
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], {
      cwd: dir,
      stdio: 'pipe',
    });
    return [];
  } catch (error) {
    return String((error as { stdout?: Buffer }).stdout ?? error)
      .split('\n')
      .filter((line) => /error TS\d+/.test(line));
  }
}
