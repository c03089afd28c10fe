/**
 * `deactivateUser`'s steps when the Management API will not close a socket (throttled: the client
 * makes one attempt per call) or finds it closed already: every socket is still tried, every step
 * runs to its end, the call is audited, and the administrator gets CONFLICT asking for a repeat
 * (lambdas/domain/deactivation.ts, lambdas/fanout/close.ts). The real FanOut over a fake
 * Management API (AWS itself) and a fake directory.
 */
import { expect, it } from 'vitest';
import { deactivateUser, reactivateUser } from '../../../lambdas/domain/deactivation.ts';
import { FanOut } from '../../../lambdas/fanout/fanout.ts';
import { ChatError } from '../../../lambdas/shared/errors.ts';
import { fakeApi, fakeDirectory, httpError } from '../fanout-fakes.ts';
import { caller, fakeDeps } from './fakes.ts';

const admin = { ...caller('root'), admin: true };
const throttled = () => httpError(429, 'LimitExceededException');

function withSockets(failures: Record<string, Error[]>) {
  const { deps, store } = fakeDeps();
  const ids = Array.from({ length: 10 }, (_, i) => `c${i}`);
  store.connections.listIds.mockResolvedValue(ids);
  const api = fakeApi(failures);
  const directory = fakeDirectory();
  const fanOut = new FanOut(() => api.client, directory.dir);
  return { deps: { ...deps, fanOut }, store, api, directory, ids };
}

it('a socket that stays throttled: every other one is closed, the call audited, CONFLICT', async () => {
  const { deps, store, api, ids } = withSockets({ c1: [throttled(), throttled(), throttled()] });
  const error = await deactivateUser(deps, admin, { userId: 'ann' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ChatError);
  expect(error).toMatchObject({ code: 'CONFLICT' });
  expect((error as Error).message).toContain('1 sockets could not be closed; call deactivateUser again');
  expect(new Set(api.calls)).toEqual(new Set(ids));
  expect(api.calls.filter((id) => id === 'c1')).toHaveLength(3);
  expect(store.audit.record).toHaveBeenCalledTimes(1);
});

it('a throttled close that succeeds on its retry is closed: acked', async () => {
  const { deps, store, api } = withSockets({ c1: [throttled()], c7: [httpError(503, 'ServiceUnavailable')] });
  const ack = await deactivateUser(deps, admin, { userId: 'ann' });
  expect(ack.socketsClosed).toBe(10);
  expect(api.calls).toHaveLength(12);
  expect(store.audit.record).toHaveBeenCalledTimes(1);
});

it('a failing step: the others still run to their end and the call is audited before it fails', async () => {
  const { deps, store, api, ids } = withSockets({});
  store.devices.getState.mockRejectedValue(new Error('DynamoDB down'));
  await expect(deactivateUser(deps, admin, { userId: 'ann' })).rejects.toThrow('DynamoDB down');
  expect(new Set(api.calls)).toEqual(new Set(ids));
  expect(store.audit.record).toHaveBeenCalledTimes(1);
});

it('a socket closed already (410) is forgotten and not counted: a repeat acks zero', async () => {
  const gone = () => httpError(410, 'GoneException');
  const { deps, directory } = withSockets(
    Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`c${i}`, [gone()]])),
  );
  const ack = await deactivateUser(deps, admin, { userId: 'ann' });
  expect(ack).toMatchObject({ socketsClosed: 0, scheduledCancelled: 0, devicesRemoved: 0 });
  expect(directory.gone).toHaveLength(10);
  expect(directory.gone).toContain('-/ann/c3');
});

it('a 410 from a socket still inside its $connect is kept, and asks for a repeat (it may yet open)', async () => {
  const { deps, directory } = withSockets({ c4: [httpError(410, 'GoneException')] });
  directory.dir.gone = async () => false;
  const error = await deactivateUser(deps, admin, { userId: 'ann' }).catch((e: unknown) => e);
  expect(error).toMatchObject({ code: 'CONFLICT' });
  expect((error as Error).message).toContain('1 sockets could not be closed');
});

it("the mark written, the socket count's mark failing: the call is audited before it fails", async () => {
  const { deps, store } = withSockets({});
  store.socketCount.markDeactivated.mockRejectedValue(new Error('DynamoDB down'));
  await expect(deactivateUser(deps, admin, { userId: 'ann' })).rejects.toThrow('DynamoDB down');
  expect(store.deactivations.mark).toHaveBeenCalledTimes(1);
  expect(store.audit.record).toHaveBeenCalledTimes(1);
});

it('the mark not written: nothing is audited (no access was ended)', async () => {
  const { deps, store } = withSockets({});
  store.deactivations.mark.mockRejectedValue(new Error('DynamoDB down'));
  await expect(deactivateUser(deps, admin, { userId: 'ann' })).rejects.toThrow('DynamoDB down');
  expect(store.audit.record).not.toHaveBeenCalled();
});

it("reactivateUser: the mark cleared, the socket count's failing: audited before it fails", async () => {
  const { deps, store } = withSockets({});
  store.socketCount.clearDeactivated.mockRejectedValue(new Error('DynamoDB down'));
  await expect(reactivateUser(deps, admin, { userId: 'ann' })).rejects.toThrow('DynamoDB down');
  expect(store.audit.record).toHaveBeenCalledTimes(1);
});
