/**
 * README.md's Configuration table lists every variable and option a developer can set for the local
 * stack: every variable local/dev.ts, local/stack.ts and local/token.ts read (but the AWS SDK's own),
 * `DEV_STATE_FILE`, every per-user cap, every variable a deployment setting gives the functions
 * (scripts/env-allow-list.ts `ENV_FEATURES`; the local stack reads them from its environment), and
 * every `npm run dev` option.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_BLOCKS_ENV,
  MAX_CHATS_ENV,
  MAX_REPORTS_ENV,
  MAX_SOCKETS_ENV,
  TEXT_MB_PER_DAY_ENV,
  UPLOAD_MB_PER_DAY_ENV,
} from '../../lambdas/shared/user-caps.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import { DEV_STATE_FILE_ENV } from '../../local/dev-state.ts';
import { ENV_FEATURES } from '../../scripts/env-allow-list.ts';

const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8');

/** Set on AWS only: hs256 mode's secret in Secrets Manager (locally `JWT_SECRET`, in the table). */
const AWS_ONLY = new Set(['JWT_SECRET_ARN']);

/** The first column of the table under `## Configuration`: its backticked names and options. */
function tableNames(readme: string): Set<string> {
  const heading = readme.indexOf('## Configuration');
  const table = readme.slice(readme.indexOf('\n|', heading) + 1);
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n');
  const firsts = rows.filter((row) => row.startsWith('| `')).map((row) => row.split('|')[1] ?? '');
  return new Set(
    firsts.flatMap((cell) =>
      [...cell.matchAll(/`(--[\w-]+|[A-Z_]+)[^`]*`|(--[\w-]+)/g)].map((m) => m[1] ?? m[2] ?? ''),
    ),
  );
}

/** The variables a source reads as `process.env.NAME`, but the AWS SDK's. */
const envReads = (source: string) =>
  [...source.matchAll(/process\.env\.([A-Z_]+)/g)]
    .map((m) => m[1] ?? '')
    .filter((n) => !n.startsWith('AWS_'));

/** `npm run dev`'s options, from its parseArgs declaration. */
const devOptions = (source: string) =>
  [...source.matchAll(/^ {8}'?([a-z][a-z-]*)'?: \{ type: '(?:string|boolean)' \}/gm)].map((m) => `--${m[1]}`);

describe("README.md's Configuration table", () => {
  const listed = tableNames(read('README.md'));

  it('lists every variable the local stack reads, every per-user cap and every deployment setting’s variable', () => {
    const variables = new Set([
      ...['local/dev.ts', 'local/stack.ts', 'local/token.ts'].flatMap((f) => envReads(read(f))),
      DEV_STATE_FILE_ENV,
      MAX_SOCKETS_ENV,
      MAX_CHATS_ENV,
      MAX_BLOCKS_ENV,
      MAX_REPORTS_ENV,
      UPLOAD_MB_PER_DAY_ENV,
      TEXT_MB_PER_DAY_ENV,
      ...Object.values(ENV_FEATURES).flatMap((f) => f.variables),
    ]);
    expect(variables.size).toBeGreaterThan(20);
    expect([...variables].filter((v) => !AWS_ONLY.has(v) && !listed.has(v))).toEqual([]);
  });

  it('lists every option of npm run dev', () => {
    const options = devOptions(read('local/dev.ts'));
    expect(options).toEqual(expect.arrayContaining(['--persist', '--port', '--no-seed']));
    expect(options.filter((o) => !listed.has(o))).toEqual([]);
  });

  it('reads names and options from the first column only', () => {
    const readme =
      '## Configuration\n\nThese:\n\n| variable | default | meaning |\n| --- | --- | --- |\n| `PORT` (or `--port N`) | `3001` | `NOT_THIS` |\n| `SEED=0` (or `--no-seed`) | x | y |\n\nAfter.\n| `NOR_THIS` | | |\n';
    expect([...tableNames(readme)].sort()).toEqual(['--no-seed', '--port', 'PORT', 'SEED']);
  });
});
