/**
 * The pre-send hook on AWS (lib/pre-send-hook.ts): with the `preSendHook` context setting, the
 * functions that send (the sendMessage route and the scheduled dispatcher) bundle the configured
 * module in place of `#pre-send-hook` and carry its settings in their environment; without it,
 * nothing of the kind anywhere. One function is bundled for real by CDK (NodejsFunction's esbuild
 * command line), and the alias is proven to work at run time in an ESM bundle.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE, BUNDLE_FILE, esbuildOptions, nodejsBundling } from '../../lib/bundling.ts';
import { ChatFunction, PROJECT_ROOT } from '../../lib/chat-function.ts';
import { ChatStack } from '../../lib/chat-stack.ts';
import { settingsFromContext } from '../../lib/context.ts';
import { preSendHookFromContext } from '../../lib/context-features.ts';
import { FEATURE_FLAGS } from '../../lib/feature-flags.ts';
import { checkPreSendHook, PRE_SEND_HOOK_IMPORT, preSendHookFunction } from '../../lib/pre-send-hook.ts';
import { findRoute } from '../../lib/routes.ts';
import { envOf, testApp } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'chat-hook-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WORD_FILTER = 'hooks/word-filter.ts';
/** A sentence only the word filter's code holds: its presence in a bundle is the hook's. */
const WORD_FILTER_MARK = 'This message contains a word that is not allowed here.';
const HOOK_CONTEXT = {
  preSendHook: WORD_FILTER,
  preSendHookTimeoutMs: '150',
  preSendHookFallback: 'deny',
  preSendHookEnv: '{"WORD_FILTER_DENY":"spam,scam"}',
};

function fromContext(context: Record<string, unknown>): { stack: ChatStack; template: Template } {
  const app = testApp(context);
  const stack = new ChatStack(app, 'HookTest', settingsFromContext(app.node).props);
  return { stack, template: Template.fromStack(stack) };
}

/** Every function of the stack by its name (the scheduled ones by their definition's name). */
const functionsOf = (stack: ChatStack): Map<string, ChatFunction> =>
  new Map([
    ...stack.chatApi.allFunctions.map((fn) => [fn.node.id, fn] as const),
    ['ScheduledDispatcher', stack.scheduled.dispatcher],
    ['ScheduledSweeper', stack.scheduled.sweeper],
    ['FanOutWorker', stack.fanOutWorker.worker],
    ['RetentionWorker', stack.retentionWorker.worker],
  ]);

/** Builds `entry` with a function's bundle settings and calls its `verdictFor` in a fresh node. */
async function verdictInBundle(bundle: typeof BUNDLE, name: string, text: string): Promise<unknown> {
  const file = join(dir, `${name}.mjs`);
  await build(esbuildOptions(resolve(PROJECT_ROOT, 'test/cdk/fixtures/hook-entry.ts'), file, bundle));
  const script = `const m = await import(process.env.BUNDLE_URL);
    process.stdout.write(JSON.stringify(await m.verdictFor(process.env.TEXT)));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      BUNDLE_URL: pathToFileURL(file).href,
      TEXT: text,
      LOG_LEVEL: 'ERROR',
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return JSON.parse(out);
}

describe('the preSendHook setting', { timeout: 180_000 }, () => {
  const hooked = fromContext(HOOK_CONTEXT);
  const plain = fromContext({});

  it('gives the functions that send the hook’s bundle and environment, and no other function', () => {
    const fns = functionsOf(hooked.stack);
    const senders = ['SendMessage', 'ScheduledDispatcher', 'EditMessage'];
    for (const name of senders) {
      const fn = fns.get(name);
      if (!fn) throw new Error(`no ${name}`);
      expect(envOf(hooked, fn), name).toMatchObject({
        PRE_SEND_HOOK: WORD_FILTER,
        PRE_SEND_HOOK_TIMEOUT_MS: '150',
        PRE_SEND_HOOK_FALLBACK: 'deny',
        WORD_FILTER_DENY: 'spam,scam',
      });
      expect(fn.bundle.aliases[PRE_SEND_HOOK_IMPORT], name).toBe(resolve(PROJECT_ROOT, WORD_FILTER));
      // The command line CDK runs esbuild with carries the alias.
      expect(nodejsBundling(fn.bundle).esbuildArgs?.[`--alias:${PRE_SEND_HOOK_IMPORT}`]).toBe(
        resolve(PROJECT_ROOT, WORD_FILTER),
      );
    }
    for (const [name, fn] of fns) {
      if (senders.includes(name)) continue;
      expect(fn.bundle, name).toBe(BUNDLE);
      expect(
        Object.keys(envOf(hooked, fn)).filter((k) => /PRE_SEND|WORD_FILTER/.test(k)),
        name,
      ).toEqual([]);
    }
  });

  it('unset: no function has a hook alias or hook settings', () => {
    for (const [name, fn] of functionsOf(plain.stack)) {
      expect(fn.bundle, name).toBe(BUNDLE);
      expect(
        Object.keys(envOf(plain, fn)).filter((k) => k.startsWith('PRE_SEND')),
        name,
      ).toEqual([]);
    }
    expect(Object.keys(BUNDLE.aliases)).not.toContain(PRE_SEND_HOOK_IMPORT);
  });

  it('refuses settings it cannot honour, naming them', () => {
    const lookup = (values: Record<string, unknown>) => (key: string) => values[key];
    expect(() => preSendHookFromContext(lookup({ preSendHook: 'hooks/nope.ts' }))).toThrow(/hooks\/nope\.ts/);
    expect(() => preSendHookFromContext(lookup({ preSendHook: '../outside.ts' }))).toThrow(
      /inside the repository/,
    );
    expect(() => preSendHookFromContext(lookup({ preSendHookFallback: 'deny' }))).toThrow(
      /need preSendHook \(cdk\.json.s context\)/,
    );
    expect(() =>
      preSendHookFromContext(lookup({ preSendHook: WORD_FILTER, preSendHookFallback: 'maybe' })),
    ).toThrow(/preSendHookFallback/);
    expect(() =>
      preSendHookFromContext(lookup({ preSendHook: WORD_FILTER, preSendHookTimeoutMs: 'soon' })),
    ).toThrow(/preSendHookTimeoutMs/);
    // At most half of the sending routes' 10 s timeout: a hanging hook gets its fallback before
    // Lambda stops the send.
    expect(() => checkPreSendHook({ module: WORD_FILTER, timeoutMs: 5001 })).toThrow(
      /preSendHookTimeoutMs must be .* 1–5000 .*10 s timeout.*\(got 5001\)/,
    );
    expect(() => checkPreSendHook({ module: WORD_FILTER, timeoutMs: 10_000 })).toThrow(
      /preSendHookTimeoutMs/,
    );
    expect(() => checkPreSendHook({ module: WORD_FILTER, timeoutMs: 5000 })).not.toThrow();
    expect(() =>
      preSendHookFromContext(lookup({ preSendHook: WORD_FILTER, preSendHookEnv: '{"TABLE_NAME":"x"}' })),
    ).toThrow(/TABLE_NAME/);
    expect(preSendHookFromContext(lookup({}))).toBeUndefined();
  });

  it('CDK’s own bundling of sendMessage carries the hook; without the setting it does not', () => {
    const app = new App({
      outdir: join(dir, 'assembly'),
      context: { ...FEATURE_FLAGS, 'aws:cdk:enable-asset-metadata': true },
      builtinCloudFormationValidation: false,
    });
    const stack = new Stack(app, 'HookBundle');
    const entry = findRoute('sendMessage')?.entry;
    if (!entry) throw new Error('no sendMessage route');
    const withHook = new ChatFunction(stack, 'WithHook', {
      entry,
      bundle: preSendHookFunction({ module: WORD_FILTER }).bundle,
    });
    const without = new ChatFunction(stack, 'Without', { entry });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, { Metadata?: Record<string, string> }>;
    };
    const code = (fn: ChatFunction) => {
      const id = stack.getLogicalId(fn.function.node.defaultChild as CfnResource);
      const asset = template.Resources[id]?.Metadata?.['aws:asset:path'];
      if (!asset) throw new Error(`${fn.node.id}: no asset`);
      return readFileSync(join(assembly.directory, asset, BUNDLE_FILE), 'utf8');
    };
    expect(code(withHook)).toContain(WORD_FILTER_MARK);
    expect(code(without)).not.toContain(WORD_FILTER_MARK);
  });

  it('runs the bundled hook in an ESM bundle (no PRE_SEND_HOOK needed); the plain bundle has none', async () => {
    const { bundle } = preSendHookFunction({ module: WORD_FILTER });
    expect(await verdictInBundle(bundle, 'hooked', 'oh darn it')).toEqual({
      action: 'rewrite',
      text: 'oh d*** it',
    });
    expect(await verdictInBundle(BUNDLE, 'plain', 'oh darn it')).toBeNull();
  });
});
