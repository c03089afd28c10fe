/**
 * Loading the pre-send hook from `PRE_SEND_HOOK` (the real loader on a real module file): a module
 * whose loading failed is not given up for the container's life. Its fallback applies until the
 * back-off has passed, then it is loaded again, so a passing failure heals without a cold start.
 * A deny's reason reaches the sender cleaned (`refusalSentence`).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  configuredHook,
  type PreSendVerdict,
  runHook,
  screenMessage,
} from '../../../lambdas/domain/hooks.ts';
import { CLEANED_REASON } from '../../support/hooks/unclean-deny-hook.ts';
import { caller } from './fakes.ts';

const FLAKY = 'test/support/hooks/flaky-hook.ts';
const saved = { ...process.env };

afterEach(() => {
  vi.useRealTimers();
  for (const key of ['PRE_SEND_HOOK', 'FLAKY_HOOK_BROKEN', 'PRE_SEND_HOOK_FALLBACK']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

describe('a hook module that failed to load', () => {
  it('keeps the fallback for 30 s, then is loaded again and applies', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    process.env.PRE_SEND_HOOK = FLAKY;
    process.env.FLAKY_HOOK_BROKEN = '1';
    const ann = caller('ann');
    const send = (text: string) => screenMessage(ann, { chatId: 'g1', text });
    expect((await send('first')).text).toBe('first'); // the fallback: allow
    delete process.env.FLAKY_HOOK_BROKEN; // the cause has passed
    vi.advanceTimersByTime(29_000);
    expect((await send('second')).text).toBe('second'); // not loaded again on every send
    vi.advanceTimersByTime(1_000);
    expect((await send('third')).text).toBe('healed');
    expect((await send('fourth')).text).toBe('healed');
  });

  it('is loaded again only once the back-off has passed, once for concurrent callers', async () => {
    const env = { PRE_SEND_HOOK: `./${FLAKY}` };
    const t0 = Date.now();
    process.env.FLAKY_HOOK_BROKEN = '1';
    const failed = configuredHook(env, t0);
    await expect(failed).rejects.toThrow('broken for now');
    delete process.env.FLAKY_HOOK_BROKEN;
    expect(configuredHook(env, t0 + 29_999)).toBe(failed);
    const reload = configuredHook(env, t0 + 30_000);
    expect(reload).not.toBe(failed);
    expect(configuredHook(env, t0 + 30_001)).toBe(reload);
    const hook = await reload;
    expect(
      await hook?.({
        chatId: 'g1',
        senderId: 'ann',
        senderName: 'ANN',
        text: 'x',
        attachmentCount: 0,
        fileNames: [],
      }),
    ).toEqual({ action: 'rewrite', text: 'healed' });
    // A module that loaded stays loaded.
    expect(configuredHook(env, t0 + 600_000)).toBe(reload);
  });
});

describe('a hook that blocks the event loop', () => {
  // Slow synchronous work (say, a catastrophic regex): nothing else runs until it returns, so the
  // timer cannot fire and the verdict comes first, but after the timeout.
  const busy = (verdict: PreSendVerdict) => (): PreSendVerdict => {
    const end = performance.now() + 120;
    while (performance.now() < end) {}
    return verdict;
  };
  const message = {
    chatId: 'g1',
    senderId: 'ann',
    senderName: 'ANN',
    text: 'x',
    attachmentCount: 0,
    fileNames: [],
  };
  const late = { timeoutMs: 20 } as const;

  it('has its late deny or rewrite applied, not an allow fallback that would let the words through', async () => {
    const deny: PreSendVerdict = { action: 'deny', reason: 'late verdict' };
    const rewrite: PreSendVerdict = { action: 'rewrite', text: '***' };
    expect(await runHook(busy(deny), message, { ...late, fallback: 'allow' })).toEqual(deny);
    expect(await runHook(busy(deny), message, { ...late, fallback: 'deny' })).toEqual(deny);
    expect(await runHook(busy(rewrite), message, { ...late, fallback: 'allow' })).toEqual(rewrite);
    // In time, the same verdict applies.
    expect(await runHook(busy(deny), message, { timeoutMs: 60_000, fallback: 'allow' })).toEqual(deny);
  });

  it('has its late allow applied too: a verdict in hand beats the fallback (docs/hooks.md, Bounds)', async () => {
    expect(await runHook(busy({ action: 'allow' }), message, { ...late, fallback: 'deny' })).toEqual({
      action: 'allow',
    });
  });

  it('a hook that gives no verdict by the timeout gets the fallback', async () => {
    const silent = () => new Promise<PreSendVerdict>(() => undefined);
    expect(await runHook(silent, message, { ...late, fallback: 'deny' })).toEqual({
      action: 'deny',
      reason: 'This message could not be checked. Please retry.',
    });
    expect(await runHook(silent, message, { ...late, fallback: 'allow' })).toEqual({ action: 'allow' });
  });
});

describe("a deny's reason", () => {
  it('is cleaned for the sender: no escape sequences nor control characters, at most 500 characters, never half a pair', async () => {
    process.env.PRE_SEND_HOOK = 'test/support/hooks/unclean-deny-hook.ts';
    await expect(screenMessage(caller('ann'), { chatId: 'g1', text: 'hi' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: CLEANED_REASON,
      unanswered: false,
    });
  });
});
