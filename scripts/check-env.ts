/**
 * `npm run check-env` (after check-iam, the last step of `npm test`): proves the synthesized functions'
 * environments against the variables the test suites saw each function use. Locally every handler runs
 * in one process and sees every variable the local stack sets; on AWS a function has only what its CDK
 * definition gives it, and an unset queue URL or bucket reads as "none" (work silently skipped).
 * lambdas/shared/env-use.ts records each (function, variable) used with a value during `vitest run`
 * into `.aws-calls/env/`.
 *
 * For every synthesized variant (those of check-iam, and one with every optional setting on), it fails
 * when a function used a variable its definition does not set (scripts/env-check.ts has the rules;
 * scripts/env-allow-list.ts the runtime's variables, the optional settings and the reasoned
 * exceptions). Run it only after a full `vitest run`: after a partial one, allow-list entries whose
 * uses did not run are reported stale.
 *
 * Usage: `tsx scripts/check-env.ts [--calls DIR] [--verbose]`
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { CALL_LOG_DIR_ENV } from '../lambdas/shared/call-recorder.ts';
import { ENV_USE_FOLDER, type EnvUse } from '../lambdas/shared/env-use.ts';
import type { ChatStackProps } from '../lib/chat-stack.ts';
import { ENV_ALLOW_LIST, ENV_FEATURES, FEATURE_OF, RUNTIME_ENV } from './env-allow-list.ts';
import { checkEnv, type EnvReport, type VariantEnv } from './env-check.ts';
import { namedFunctions, synthesizeStack, VARIANTS } from './stack-variants.ts';

/** check-iam's variants, and one with every optional setting that gives functions variables on. */
export const ENV_VARIANTS: Readonly<Record<string, ChatStackProps>> = {
  ...VARIANTS,
  'every-setting': {
    auth: { mode: 'hs256', issuer: 'https://issuer.example.com/', audience: 'chat' },
    rolesClaim: 'roles',
    jwtMaxLifetimeSeconds: 3600,
    uploadMbPerDay: 512,
    textMbPerDay: 20,
    fanOutConcurrency: 32,
    push: {
      apnsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:chat/apns-AbCdEf',
      idOnly: true,
      deviceStaleDays: 30,
    },
    preSendHook: { module: 'hooks/word-filter.ts', timeoutMs: 200, fallback: 'deny' },
  },
};

/** One variant's functions and the variables each definition sets, and the settings it turns on. */
export function variantEnv(name: string, props: ChatStackProps): VariantEnv {
  const stack = synthesizeStack(props, 'EnvCheck');
  const functions = new Map(
    namedFunctions(stack).map(([fn, construct]) => {
      const cfn = construct.function.node.defaultChild as CfnFunction;
      const env = stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined;
      return [fn, new Set(Object.keys(env?.variables ?? {}))] as const;
    }),
  );
  const features = new Set(
    Object.entries(ENV_FEATURES)
      .filter(([, f]) => f.on(props))
      .map(([feature]) => feature),
  );
  return { name, functions, features };
}

export function readEnvUses(callLogDir: string): EnvUse[] {
  const dir = join(callLogDir, ENV_USE_FOLDER);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as EnvUse);
}

export function checkVariants(uses: readonly EnvUse[]): EnvReport {
  const variants = Object.entries(ENV_VARIANTS).map(([name, props]) => variantEnv(name, props));
  return checkEnv(uses, variants, { runtime: RUNTIME_ENV, featureOf: FEATURE_OF, allowList: ENV_ALLOW_LIST });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { calls: { type: 'string' }, verbose: { type: 'boolean', default: false } },
  });
  const dir = resolve(values.calls ?? process.env[CALL_LOG_DIR_ENV] ?? '.aws-calls');
  const uses = readEnvUses(dir);
  if (uses.length === 0) {
    process.stderr.write(
      `check-env: no recorded uses in ${join(dir, ENV_USE_FOLDER)}; run the full \`vitest run\` first.\n`,
    );
    process.exit(1);
  }
  const started = performance.now();
  const report = checkVariants(uses);
  const out: string[] = [];
  for (const m of report.missing) out.push(`  MISSING ${m}`);
  if (values.verbose) for (const a of report.allowListed) out.push(`  kept    ${a}`);
  for (const e of report.stale) out.push(`STALE allow-list entry (no use needs it): ${e.fn} ${e.name}`);
  const fns = new Set(uses.map((u) => u.fn).filter(Boolean)).size;
  out.push(
    `check-env: ${report.checked} distinct uses of ${fns} functions` +
      `${report.unattributed ? ` (+${report.unattributed} outside any handler, not checked)` : ''}, ` +
      `${Object.keys(ENV_VARIANTS).length} variants, ${report.allowListed.length} allow-listed, ` +
      `${Math.round(performance.now() - started)} ms: ${report.ok ? 'OK' : 'FAILED'}`,
  );
  (report.ok ? process.stdout : process.stderr).write(`${out.join('\n')}\n`);
  if (!report.ok) process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
