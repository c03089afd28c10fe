/**
 * sendMessage looks the recipients' sockets up beside the message put (`send.ts`): never before
 * the allocation of the message it posts is answered, and it posts only after the put has landed.
 */
import { describe, expect, it, vi } from 'vitest';
import { sendMessage } from '../../../lambdas/domain/send.ts';
import type { Target } from '../../../lambdas/fanout/fanout.ts';
import { deferred } from '../../support/client.ts';
import { annSend, caller, settle, withChat } from './fakes.ts';

vi.mock('node:timers/promises', async () => {
  const { clock } = await import('./fakes.ts');
  return { setTimeout: (ms: number) => clock.sleep(ms) };
});

const ann = caller('ann');
const send = annSend;
const aborted = () => Object.assign(new Error('aborted'), { name: 'AbortError' });

describe('sendMessage: the socket lookup beside the put', () => {
  it('starts once the allocation is answered, runs while the put is in flight, and posts after the put', async () => {
    const { deps, store, fanOut } = withChat();
    const allocation = deferred<{ status: 'allocated'; seq: number; ver: number }>();
    const put = deferred<{ status: 'stored'; chatGB: undefined }>();
    store.sequence.allocate.mockReturnValueOnce(allocation.promise);
    store.messages.put.mockReturnValueOnce(put.promise);
    const sending = sendMessage(deps, ann, send);

    await settle();
    expect(store.sequence.allocate).toHaveBeenCalledTimes(1);
    expect(fanOut.socketsOf).not.toHaveBeenCalled();

    allocation.resolve({ status: 'allocated', seq: 5, ver: 9 });
    await settle();
    expect(store.messages.put).toHaveBeenCalledTimes(1);
    expect(fanOut.socketsOf).toHaveBeenCalledTimes(1);
    expect(fanOut.toUsers).not.toHaveBeenCalled();

    put.resolve({ status: 'stored', chatGB: undefined });
    await expect(sending).resolves.toMatchObject({ message: { seq: 5 } });
    expect(fanOut.toUsers).toHaveBeenCalledTimes(1);
    expect(fanOut.toUsers.mock.calls[0]?.[2]?.sockets).toEqual([{ userId: 'bob', connectionId: 'k-bob' }]);
  });

  it('looks up again after a void and posts to what the lookup after the stored allocation found', async () => {
    const { deps, store, fanOut } = withChat();
    const early: Target[] = [{ userId: 'bob', connectionId: 'k-early' }];
    const late: Target[] = [{ userId: 'bob', connectionId: 'k-late' }];
    fanOut.socketsOf.mockResolvedValueOnce(early).mockResolvedValueOnce(late);
    store.sequence.allocate
      .mockResolvedValueOnce({ status: 'allocated', seq: 5, ver: 9 })
      .mockResolvedValueOnce({ status: 'allocated', seq: 6, ver: 10 });
    store.messages.put.mockRejectedValueOnce(aborted());
    const { message } = await sendMessage(deps, ann, send);
    expect(message.seq).toBe(6);
    expect(store.sequence.fillVoid).toHaveBeenCalledWith('g1', 5, expect.any(Number));
    expect(fanOut.socketsOf).toHaveBeenCalledTimes(2);
    expect(fanOut.toUsers.mock.calls[0]?.[2]?.sockets).toEqual(late);
  });

  it("uses the attempt's own lookup when an aborted put landed after all", async () => {
    const { deps, store, fanOut } = withChat();
    store.messages.put.mockImplementationOnce(async (message) => {
      store.sequence.fillVoid.mockResolvedValueOnce({
        status: 'occupied',
        slot: { kind: 'message', message },
      });
      throw aborted();
    });
    await expect(sendMessage(deps, ann, send)).resolves.toMatchObject({ message: { seq: 5 } });
    expect(fanOut.socketsOf).toHaveBeenCalledTimes(1);
    expect(fanOut.toUsers).toHaveBeenCalledTimes(1);
  });

  it('drops the failed lookup of an attempt given up (no unhandled rejection) and delivers', async () => {
    const { deps, store, fanOut } = withChat();
    fanOut.socketsOf.mockRejectedValueOnce(new Error('throttled'));
    store.sequence.allocate
      .mockResolvedValueOnce({ status: 'allocated', seq: 5, ver: 9 })
      .mockResolvedValueOnce({ status: 'allocated', seq: 6, ver: 10 });
    store.messages.put.mockRejectedValueOnce(aborted());
    await expect(sendMessage(deps, ann, send)).resolves.toMatchObject({ message: { seq: 6 } });
    expect(fanOut.toUsers).toHaveBeenCalledTimes(1);
  });

  it('leaves the fan-out to look up again (after the put) when the lookup beside it failed', async () => {
    const { deps, store, fanOut } = withChat();
    fanOut.socketsOf.mockRejectedValueOnce(new Error('throttled'));
    await expect(sendMessage(deps, ann, send)).resolves.toMatchObject({ message: { seq: 5 } });
    expect(store.messages.put).toHaveBeenCalledTimes(1);
    expect(fanOut.toUsers).toHaveBeenCalledTimes(1);
    expect(fanOut.toUsers.mock.calls[0]?.[2]?.sockets).toBeUndefined(); // toUsers looks up itself
    expect(store.claims.release).not.toHaveBeenCalled();
  });

  it('keeps its own message when an SDK retry of the put finds it stored (no second copy)', async () => {
    const { deps, store, fanOut } = withChat();
    store.messages.put.mockImplementationOnce(async (message) => ({
      status: 'occupied',
      slot: { kind: 'message', message },
    }));
    const { message } = await sendMessage(deps, ann, send);
    expect(message.seq).toBe(5);
    expect(store.sequence.allocate).toHaveBeenCalledTimes(1);
    expect(store.messages.put).toHaveBeenCalledTimes(1);
    expect(fanOut.toUsers).toHaveBeenCalledTimes(1);
  });
});
