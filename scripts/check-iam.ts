/**
 * `npm run check-iam` (the last step of `npm test`): proves the synthesized IAM policies against the AWS
 * calls the test suites recorded (lambdas/shared/call-recorder.ts writes them to `.aws-calls/` during
 * `vitest run`; test/global-setup.ts starts each run with an empty folder).
 *
 * For every synthesized variant (auth modes cognito, oidc and hs256, a customer managed table key, and
 * push, whose stream consumer functions are keyed `stream:<consumer>`, with and without that key),
 * it fails when a function made a call its policy does not allow, or holds a grant it never used (except
 * the reasoned entries of scripts/iam-allow-list.ts). Run it only after a full `vitest run`: after a
 * partial run, grants of the routes that did not run are reported unused.
 *
 * Usage: `tsx scripts/check-iam.ts [--calls DIR] [--verbose]`
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { streamFunctionName } from '../lambdas/pipeline/stream.ts';
import { CALL_LOG_DIR_ENV } from '../lambdas/shared/call-recorder.ts';
import type { ChatStackProps } from '../lib/chat-stack.ts';
import { DUE_QUEUE_NAME } from '../lib/scheduled-functions.ts';
import { STREAM_CONSUMERS } from '../lib/stream-consumers.ts';
import { WORKERS } from '../lib/workers.ts';
import { IAM_ALLOW_LIST } from './iam-allow-list.ts';
import {
  type AllowListEntry,
  type Call,
  checkIam,
  type FunctionPolicy,
  type IamReport,
  type Statement,
  symbolicResource,
} from './iam-check.ts';
import { namedFunctions, synthesizeStack, VARIANTS } from './stack-variants.ts';

export { VARIANTS };

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as CfnResource);

/** Every statement of a role: its inline policies and the AWS::IAM::Policy resources attached to it. */
export function roleStatements(resources: Resources, roleId: string): Statement[] {
  const role = resources[roleId];
  const inline = (
    (role?.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]
  ).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleId}"`))
    .flatMap(
      (r) => (r.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [],
    );
  return [...inline, ...attached];
}

/** Synthesizes one variant in-process (no bundling) and extracts each function's policy. */
export function synthesizePolicies(props: ChatStackProps) {
  const stack = synthesizeStack(props);
  const resources = Template.fromStack(stack).toJSON().Resources as Resources;
  const fns = namedFunctions(stack);
  const functions: FunctionPolicy[] = fns.map(([fn, construct]) => ({
    fn,
    statements: roleStatements(resources, logicalId(stack, construct.role)),
  }));
  const names = {
    table: logicalId(stack, stack.table.table),
    secrets: Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret')
      .map(([id]) => id),
    keys: Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::KMS::Key')
      .map(([id]) => id),
    queues: {
      [logicalId(stack, stack.scheduled.queue)]: DUE_QUEUE_NAME,
      [logicalId(stack, stack.fanOutWorker.queue)]: stack.fanOutWorker.definition.name,
      [logicalId(stack, stack.retentionWorker.queue)]: stack.retentionWorker.definition.name,
      ...(stack.streams.pushWorker
        ? { [logicalId(stack, stack.streams.pushWorker.queue)]: stack.streams.pushWorker.definition.name }
        : {}),
      ...Object.fromEntries(
        [...stack.streams.failureQueues].map(([name, q]) => [logicalId(stack, q), `${name}Failures`]),
      ),
    },
    mediaBucket: logicalId(stack, stack.media.bucket),
  };
  return { functions, resourceOf: (expr: unknown) => symbolicResource(expr, names) };
}

export function readCalls(dir: string): Call[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Call);
}

export interface CheckResult {
  readonly reports: Readonly<Record<string, IamReport>>;
  readonly stale: readonly AllowListEntry[];
  readonly ok: boolean;
}

export function checkVariants(
  calls: readonly Call[],
  allowList: readonly AllowListEntry[] = IAM_ALLOW_LIST,
): CheckResult {
  const reports: Record<string, IamReport> = {};
  const used = new Set<AllowListEntry>();
  // Deployed with a feature only: the stream consumers and the workers that go with them.
  const featureFunctions = new Set([
    ...STREAM_CONSUMERS.map((def) => streamFunctionName(def.consumerName)),
    ...WORKERS.filter((w) => w.feature).map((w) => w.name),
  ]);
  for (const [name, props] of Object.entries(VARIANTS)) {
    const { functions, resourceOf } = synthesizePolicies(props);
    // A stream consumer is deployed only with its feature (push: a provider secret); its calls are
    // checked in the variants that deploy it, and only there.
    const deployed = new Set(functions.map((f) => f.fn));
    const own = calls.filter((c) => c.fn === null || !featureFunctions.has(c.fn) || deployed.has(c.fn));
    const report = checkIam(own, functions, resourceOf, allowList);
    for (const e of report.usedAllowList) used.add(e);
    reports[name] = report;
  }
  const stale = allowList.filter((e) => !used.has(e));
  const ok = stale.length === 0 && Object.values(reports).every((r) => !r.missing.length && !r.unused.length);
  return { reports, stale, ok };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { calls: { type: 'string' }, verbose: { type: 'boolean', default: false } },
  });
  const dir = resolve(values.calls ?? process.env[CALL_LOG_DIR_ENV] ?? '.aws-calls');
  const calls = readCalls(dir);
  if (calls.length === 0) {
    process.stderr.write(`check-iam: no recorded AWS calls in ${dir}; run the full \`vitest run\` first.\n`);
    process.exit(1);
  }
  const started = performance.now();
  const { reports, stale, ok } = checkVariants(calls);
  const out: string[] = [];
  for (const [name, r] of Object.entries(reports)) {
    out.push(
      `${name}: ${r.missing.length} missing, ${r.unused.length} unused, ${r.allowListed.length} allow-listed`,
    );
    for (const m of r.missing) out.push(`  MISSING ${m}`);
    for (const u of r.unused) out.push(`  UNUSED  ${u}`);
    if (values.verbose) for (const a of r.allowListed) out.push(`  kept    ${a}`);
  }
  for (const e of stale)
    out.push(`STALE allow-list entry (no variant needs it): ${e.fn} ${e.action} on ${e.resource}`);
  const fns = new Set(calls.map((c) => c.fn).filter(Boolean)).size;
  const unattributed = Object.values(reports)[0]?.unattributed ?? 0;
  out.push(
    `check-iam: ${calls.length} distinct calls of ${fns} functions${unattributed ? ` (+${unattributed} outside any handler, not checked)` : ''}, ` +
      `${Object.keys(reports).length} variants, ${Math.round(performance.now() - started)} ms: ${ok ? 'OK' : 'FAILED'}`,
  );
  (ok ? process.stdout : process.stderr).write(`${out.join('\n')}\n`);
  if (!ok) process.exit(1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
