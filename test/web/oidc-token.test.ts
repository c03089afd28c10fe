/**
 * The OIDC session's token function (web/src/oidc-token.ts) on its own, with real jose tokens: the
 * kept ID token while it has over a minute left; else one refresh, shared by the calls made while it
 * is under way, whose tokens are kept (a rotated refresh token too); a refusal is SignInRequired for
 * good, any other failure only fails that call. The browser test (oidc-refresh.test.ts) covers the
 * page around it.
 */
import { describe, expect, it } from 'vitest';
import { devToken } from '../../local/token.ts';
import { renewingToken, SignInRequired, type TokenKeeper, type Tokens } from '../../web/src/oidc-token.ts';

interface TestKeeper extends TokenKeeper {
  kept: Tokens | null;
  readonly asked: string[];
}

/** A keeper over a variable; `refresh` answers with what `answer` gives, recording the asks. */
function keeper(initial: Tokens, answer: (refreshToken: string) => Promise<Tokens>): TestKeeper {
  const k: TestKeeper = {
    kept: initial,
    asked: [],
    get: () => k.kept,
    set(tokens: Tokens) {
      if (k.kept) k.kept = tokens;
    },
    refresh(refreshToken: string) {
      k.asked.push(refreshToken);
      return answer(refreshToken);
    },
  };
  return k;
}

describe('the renewing token function', () => {
  it('gives the kept ID token while it has more than a minute left', async () => {
    const idToken = await devToken('alice', { ttlSeconds: 120 });
    const k = keeper({ idToken, refreshToken: 'r1' }, () => Promise.reject(new Error('not asked')));
    expect(await renewingToken(k)()).toBe(idToken);
    expect(k.asked).toEqual([]);
  });

  it('refreshes one with a minute or less left, once for calls made meanwhile, and keeps the rotated token', async () => {
    const fresh = await devToken('alice', { ttlSeconds: 3600 });
    let answer: (tokens: Tokens) => void = () => undefined;
    const k = keeper(
      { idToken: await devToken('alice', { ttlSeconds: 30 }), refreshToken: 'r1' },
      () => new Promise((resolve) => (answer = resolve)),
    );
    const token = renewingToken(k);
    const calls = [token(), token(), token()];
    answer({ idToken: fresh, refreshToken: 'r2' });
    expect(await Promise.all(calls)).toEqual([fresh, fresh, fresh]);
    expect(k.asked).toEqual(['r1']);
    expect(k.kept).toEqual({ idToken: fresh, refreshToken: 'r2' });
    expect(await token()).toBe(fresh);
    expect(k.asked).toHaveLength(1);
  });

  it('keeps the refresh token when the provider does not rotate it', async () => {
    const fresh = await devToken('alice', { ttlSeconds: 3600 });
    const k = keeper(
      { idToken: await devToken('alice', { ttlSeconds: -60 }), refreshToken: 'r1' },
      async () => ({
        idToken: fresh,
      }),
    );
    expect(await renewingToken(k)()).toBe(fresh);
    expect(k.kept).toEqual({ idToken: fresh, refreshToken: 'r1' });
  });

  it('a refusal is SignInRequired, then for good without asking again', async () => {
    const k = keeper({ idToken: await devToken('alice', { ttlSeconds: -60 }), refreshToken: 'r1' }, () =>
      Promise.reject(new SignInRequired('invalid_grant')),
    );
    const token = renewingToken(k);
    await expect(token()).rejects.toBeInstanceOf(SignInRequired);
    await expect(token()).rejects.toBeInstanceOf(SignInRequired);
    expect(k.asked).toEqual(['r1']);
  });

  it('any other failure (offline, provider down) fails that call only: the tokens are kept, the next asks again', async () => {
    const expired = await devToken('alice', { ttlSeconds: -60 });
    const fresh = await devToken('alice', { ttlSeconds: 3600 });
    let down = true;
    const k = keeper({ idToken: expired, refreshToken: 'r1' }, async () => {
      if (down) throw new Error('The browser is offline.');
      return { idToken: fresh, refreshToken: 'r2' };
    });
    const token = renewingToken(k);
    const failed = await token().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    expect(failed).not.toBeInstanceOf(SignInRequired);
    expect(k.kept).toEqual({ idToken: expired, refreshToken: 'r1' });
    down = false;
    expect(await token()).toBe(fresh);
    expect(k.asked).toEqual(['r1', 'r1']);
  });

  it('without a refresh token: the ID token until it expires, then SignInRequired', async () => {
    const soon = await devToken('alice', { ttlSeconds: 30 });
    const k = keeper({ idToken: soon }, () => Promise.reject(new Error('not asked')));
    expect(await renewingToken(k)()).toBe(soon);
    k.kept = { idToken: await devToken('alice', { ttlSeconds: -60 }) };
    await expect(renewingToken(k)()).rejects.toBeInstanceOf(SignInRequired);
    expect(k.asked).toEqual([]);
  });

  it('signed out: SignInRequired', async () => {
    const k = keeper({ idToken: await devToken('alice') }, () => Promise.reject(new Error('not asked')));
    k.kept = null;
    await expect(renewingToken(k)()).rejects.toBeInstanceOf(SignInRequired);
  });
});
