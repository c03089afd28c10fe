/**
 * The OIDC session's token function: the kept ID token while it has more than a minute left, else a
 * new one from the provider for the kept refresh token (the client asks a minute before `exp` while
 * connected, renewal.ts, and on every connect). Calls made while a refresh is under way share it. No
 * DOM: where the tokens are kept and how a refresh is asked for are given (oidc.ts), so the tests
 * import it directly.
 */
import { expired } from './jwt.ts';

/**
 * A token function's answer when the session cannot give a token any more (the provider refused to
 * renew the sign-in): the page must sign in again. Any other error means "not now, try again".
 */
export class SignInRequired extends Error {}

/** Renew an ID token with this little left (the client's renewal starts asking then). */
export const RENEW_MARGIN_MS = 60_000;

export interface Tokens {
  readonly idToken: string;
  /** Absent when the provider gave none: the ID token is used until it expires, then sign in again. */
  readonly refreshToken?: string | undefined;
}

export interface TokenKeeper {
  /** The tokens kept now; null once signed out. */
  get(): Tokens | null;
  /** Keeps renewed tokens (not after signing out). */
  set(tokens: Tokens): void;
  /**
   * Asks the provider for new tokens. Rejects with SignInRequired when it refuses (the refresh token
   * is expired or revoked), with any other error when it could not be asked (offline, provider down).
   */
  refresh(refreshToken: string): Promise<Tokens>;
}

/** A token function (the client's TokenSource) over what `keeper` holds. */
export function renewingToken(keeper: TokenKeeper): () => Promise<string> {
  let underWay: Promise<string> | undefined;
  /** Once refused, refused for good: no more asking until the user has signed in again. */
  let refused: SignInRequired | undefined;
  const renew = async (refreshToken: string): Promise<string> => {
    let next: Tokens;
    try {
      next = await keeper.refresh(refreshToken);
    } catch (error) {
      if (error instanceof SignInRequired) refused = error;
      throw error;
    }
    // A provider that does not rotate refresh tokens returns none: the old one stays good.
    keeper.set({ idToken: next.idToken, refreshToken: next.refreshToken ?? refreshToken });
    return next.idToken;
  };
  return async () => {
    const kept = keeper.get();
    if (refused) throw refused;
    if (!kept) throw new SignInRequired('Signed out.');
    if (!expired(kept.idToken, Date.now() + RENEW_MARGIN_MS)) return kept.idToken;
    if (!kept.refreshToken) {
      if (!expired(kept.idToken)) return kept.idToken;
      throw new SignInRequired('The sign-in has expired and cannot be renewed.');
    }
    underWay ??= renew(kept.refreshToken).finally(() => {
      underWay = undefined;
    });
    return underWay;
  };
}
