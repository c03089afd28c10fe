/**
 * sendMessage takes the frame's rate-limit decision beside its checks and claim (`limitBeside` in
 * ws-middleware.ts, `admitted` in send-checks.ts): the claim is made while the lease is taken, but
 * nothing is allocated or stored before the frame is admitted, and a refused frame gives its claim
 * back.
 */
import { describe, expect, it } from 'vitest';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import { ChatError } from '../../../lambdas/shared/errors.ts';
import { deferred } from '../../support/client.ts';
import { annSend, caller, settle, withChat } from './fakes.ts';

const ann = caller('ann');
const send = annSend;
const limited = () => new ChatError('RATE_LIMITED', 'Too many sendMessage requests.', { retryAfterMs: 900 });

describe('sendMessage beside its rate-limit lease', () => {
  it('claims while the lease is taken, and allocates only once the frame is admitted', async () => {
    const { deps, store, fanOut } = withChat();
    const admission = deferred<void>();
    const sending = sendMessage(deps, ann, send, admission.promise);

    await settle();
    expect(store.claims.claim).toHaveBeenCalledTimes(1);
    expect(store.sequence.allocate).not.toHaveBeenCalled();
    expect(store.messages.put).not.toHaveBeenCalled();

    admission.resolve();
    await expect(sending).resolves.toMatchObject({ message: { seq: 5 }, duplicate: false });
    expect(store.claims.release).not.toHaveBeenCalled();
    expect(fanOut.toUsers).toHaveBeenCalledTimes(1);
  });

  it('gives the claim back and stores nothing when the frame is refused', async () => {
    const { deps, store, fanOut } = withChat();
    const admission = deferred<void>();
    const sending = sendMessage(deps, ann, send, admission.promise);
    await settle();
    expect(store.claims.claim).toHaveBeenCalledTimes(1);

    admission.reject(limited());
    await expect(sending).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(store.claims.release).toHaveBeenCalledTimes(1);
    expect(store.sequence.allocate).not.toHaveBeenCalled();
    expect(store.messages.put).not.toHaveBeenCalled();
    expect(fanOut.toUsers).not.toHaveBeenCalled();
  });

  it('without a clientMessageId: writes nothing at all before the frame is admitted', async () => {
    const { deps, store } = withChat();
    const admission = deferred<void>();
    const { clientMessageId: _, ...plain } = send;
    const sending = sendMessage(deps, ann, plain, admission.promise);
    await settle();
    expect(store.claims.claim).not.toHaveBeenCalled();
    expect(store.sequence.allocate).not.toHaveBeenCalled();

    admission.reject(limited());
    await expect(sending).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(store.sequence.allocate).not.toHaveBeenCalled();
    expect(store.messages.put).not.toHaveBeenCalled();
  });
});
