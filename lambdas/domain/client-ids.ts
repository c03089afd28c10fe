/**
 * Exactly-once sends: a send with a clientMessageId claims it before any seq is allocated.
 *
 * - The claim is free: this send is the writer (it holds the claim's token).
 * - The message it names is already stored (the client-id index, read strongly consistently):
 *   a duplicate, answered with the stored original, writing nothing.
 * - Someone else holds the claim: wait (polling the index) until its message appears; if the
 *   holder gives up it releases the claim and this send claims it; if the holder died, its claim
 *   goes stale (`claimStaleAfterMs`): after that no write of the old holder can land, so one more
 *   look at the index is conclusive, and the claim is taken over (conditional on the old token).
 */
import { randomBytes } from 'node:crypto';
import type { ClaimRecord, ClaimRef } from '../data/items.ts';
import type { MessageRecord } from '../data/store.ts';
import { conflict } from '../shared/errors.ts';
import { type Backoff, backOff } from '../shared/retry.ts';
import type { Deps } from './deps.ts';
import { claimStaleAfterMs, writeTiming } from './timing.ts';

/** A claim this send holds. */
export interface HeldClaim extends ClaimRecord {
  readonly ref: ClaimRef;
}

export type ClaimResolution =
  | { readonly status: 'claimed'; readonly claim: HeldClaim }
  | {
      readonly status: 'duplicate';
      readonly message: MessageRecord;
      /** When a duplicate announced it again, as the claim found said (announce.ts). */
      readonly announcedAt?: number | undefined;
    };

/** Between looks at a claim someone else holds: the holder's message usually lands within ms. */
const POLL: Backoff = { baseMs: 4, capMs: 100 };
/**
 * A send waits at most this long for another holder of its clientMessageId (then CONFLICT: the
 * client retries with the same id), well inside the handler's 10 s: the holder's message usually
 * lands within milliseconds; a holder that died is only taken over once its claim is stale, which
 * one of the client's retries will find.
 */
const MAX_WAIT_MS = 4000;

const newClaim = (deps: Deps): ClaimRecord => ({
  claimedAt: deps.now().getTime(),
  token: randomBytes(9).toString('base64url'),
});

export async function claimClientId(deps: Deps, ref: ClaimRef): Promise<ClaimResolution> {
  const { claims, messages } = deps.store;
  const find = () => messages.findByClientId(ref.chatId, ref.senderId, ref.clientMessageId);
  const giveUpAt = deps.now().getTime() + MAX_WAIT_MS;
  let attempt = 0;
  for (;;) {
    const mine = newClaim(deps);
    const outcome = await claims.claim(ref, mine);
    if (outcome.status === 'claimed') return { status: 'claimed', claim: { ref, ...mine } };
    let held: ClaimRecord | undefined = outcome.claim;
    while (held) {
      const found = await find();
      if (found) return { status: 'duplicate', message: found, announcedAt: held.announcedAt };
      const now = deps.now().getTime();
      if (now > held.claimedAt + claimStaleAfterMs(writeTiming())) {
        // The holder can no longer store anything: this look at the index is conclusive.
        const late = await find();
        if (late) return { status: 'duplicate', message: late, announcedAt: held.announcedAt };
        const next = newClaim(deps);
        if (await claims.takeOver(ref, held, next)) return { status: 'claimed', claim: { ref, ...next } };
      }
      if (now > giveUpAt)
        throw conflict('This message is still being sent; retry with the same clientMessageId.');
      await backOff(POLL, attempt++);
      held = await claims.get(ref);
    }
    // Released by a holder that stored nothing: claim it again.
  }
}

/** Gives back the claim `claiming` made, if it made one (it may still be running). */
export async function releaseIfClaimed(deps: Deps, claiming: Promise<ClaimResolution>): Promise<void> {
  const resolution = await claiming.catch(() => undefined);
  if (resolution?.status === 'claimed') await releaseClaim(deps, resolution.claim);
}

/**
 * Gives a claim back after a send that stored nothing (and can no longer store anything), so that
 * a retry proceeds at once. Best effort: a claim left behind goes stale and is taken over.
 */
export async function releaseClaim(deps: Deps, claim: HeldClaim): Promise<void> {
  try {
    await deps.store.claims.release(claim.ref, claim.token);
  } catch {
    // left for a retry to take over once stale
  }
}
