/**
 * Every runtime dependency in package.json is imported by some source file: nothing is installed (and
 * audited, and shipped with `npm install`) that no code uses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../local/stack.ts';

const SOURCE_DIRS = ['bench', 'bin', 'client', 'hooks', 'lambdas', 'lib', 'local', 'scripts', 'test', 'web'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sources(path);
    return /\.(ts|tsx|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

describe('package.json dependencies', () => {
  it('are each imported by some source file', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const code = SOURCE_DIRS.flatMap((dir) => sources(join(ROOT, dir)))
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    const unused = Object.keys(pkg.dependencies).filter(
      (name) => !new RegExp(`(from |import\\()'${name.replace(/[/.]/g, '\\$&')}(/[^']*)?'`).test(code),
    );
    expect(unused).toEqual([]);
  });
});
