/**
 * Loading the pre-send hook from `PRE_SEND_HOOK` (the real loader on a real module file): a module
 * whose loading failed is not given up for the container's life. Its fallback applies until the
 * back-off has passed, then it is loaded again, so a passing failure heals without a cold start.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  configuredHook,
  type PreSendVerdict,
  runHook,
  screenMessage,
} from '../../../lambdas/domain/hooks.ts';
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
  it('gets the fallback: its verdict came after the timeout, though the timer could not fire', async () => {
    // Slow synchronous work (say, a catastrophic regex): nothing else runs until it returns.
    const busy = (): PreSendVerdict => {
      const end = performance.now() + 120;
      while (performance.now() < end) {}
      return { action: 'deny', reason: 'late verdict' };
    };
    const message = {
      chatId: 'g1',
      senderId: 'ann',
      senderName: 'ANN',
      text: 'x',
      attachmentCount: 0,
      fileNames: [],
    };
    expect(await runHook(busy, message, { timeoutMs: 20, fallback: 'allow' })).toEqual({ action: 'allow' });
    expect(await runHook(busy, message, { timeoutMs: 20, fallback: 'deny' })).toEqual({
      action: 'deny',
      reason: 'This message could not be checked. Please retry.',
    });
    // In time, the same verdict applies.
    expect(await runHook(busy, message, { timeoutMs: 60_000, fallback: 'allow' })).toEqual({
      action: 'deny',
      reason: 'late verdict',
    });
  });
});

describe('a rewrite the contract refuses', () => {
  it('refuses the send, naming the field, whatever the fallback: neither it nor the original is stored', async () => {
    process.env.PRE_SEND_HOOK = 'test/support/hooks/bad-rewrite-hook.ts';
    const send = (text: string) => screenMessage(caller('ann'), { chatId: 'g1', text });
    // Padded close to the limit, so that the rewrite overflows it: the unfiltered text must not pass.
    const padded = `long ${'a'.repeat(3990)}`;
    for (const fallback of ['allow', 'deny']) {
      process.env.PRE_SEND_HOOK_FALLBACK = fallback;
      await expect(send(padded)).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: '"text" would be longer than 4000 characters once filtered; shorten it.',
        unanswered: false,
      });
    }
    for (const text of ['blank one', 'bell one']) {
      await expect(send(text)).rejects.toMatchObject({
        code: 'FORBIDDEN',
        message: '"text" could not be filtered into a text that can be stored.',
      });
    }
    expect((await send('fine')).text).toBe('fine');
  });
});
