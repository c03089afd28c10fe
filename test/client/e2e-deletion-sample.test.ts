/**
 * client/README.md's "Deleting the account" sample, run as printed (test/client/support/deletion-app.ts
 * loads it) with the real client against the local stack: the normal path, a request that never left
 * (offline), the server failing before the tombstone (INTERNAL), and a restart with the flag set. In
 * every path the identity is deleted exactly when the server's account is (its tombstone, the
 * DEACTIVATED item with `deletedAt`): the app never deletes the identity of an account that stays.
 * test/docs/deletion-samples.test.ts type-checks the samples; this one runs the README's.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ChatClient, WebSocketLike } from '../../client/src/index.ts';
import { deps, setDeps } from '../../lambdas/domain/deps.ts';
import { eventually } from '../support/client.ts';
import { uniqueId, useTestStack } from '../support/stack.ts';
import { app, type DeletionSample, readmeSample, resetApp, signIn } from './support/deletion-app.ts';
import { clientFor, gate, settled, socketFamily, useClients } from './support/e2e.ts';

const stack = useTestStack();
const { track } = useClients(stack);
let sample: DeletionSample;
beforeAll(async () => {
  sample = await readmeSample();
});
beforeEach(() => resetApp());
afterEach(() => setDeps(undefined));

const tombstoned = async (userId: string) =>
  (await stack.items(`USER#${userId}`)).some((item) => item.sk === 'DEACTIVATED' && item.deletedAt);

/** The invariant: the identity is gone exactly when the server's account is. */
async function expectIdentityFollowsAccount(userId: string, deleted: boolean): Promise<void> {
  expect({ tombstone: await tombstoned(userId), identity: app.identities.has(userId) }).toEqual({
    tombstone: deleted,
    identity: !deleted,
  });
}

/** A browser's WebSocket (a refused handshake shows no status) whose connection drops with deleteAccount's ack. */
class BrowserLosingTheAck implements WebSocketLike {
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;
  private readonly ws: WebSocket;
  constructor(url: string) {
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => this.onopen?.({} as never);
    ws.onmessage = (event) => {
      const frame = JSON.parse(String(event.data));
      if (frame.type === 'ack' && frame.action === 'deleteAccount') ws.terminate();
      else this.onmessage?.({ data: event.data } as never);
    };
    ws.onerror = () => this.onerror?.({} as never);
    ws.onclose = (event) => this.onclose?.({ code: event.code } as never);
  }
  get readyState(): number {
    return this.ws.readyState;
  }
  send(data: string): void {
    this.ws.send(data);
  }
  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }
}

async function signedInClient(prefix: string, options: Parameters<typeof clientFor>[2] = {}) {
  const userId = uniqueId(prefix);
  signIn(userId);
  const client: ChatClient = track(clientFor(stack, userId, options));
  await settled(client);
  return { userId, client };
}

describe("client/README.md's deletion sample, run", { timeout: 60_000 }, () => {
  it('the normal path: deleted on the server, then the identity; the client closed, the flag cleared', async () => {
    const { userId, client } = await signedInClient('sample-ok');
    expect(await sample.deleteMyAccount(client, true)).toBe('deleted');
    await expectIdentityFollowsAccount(userId, true);
    expect({ flag: app.flag, signedIn: app.signedIn, cleared: app.storeCleared }).toEqual({
      flag: null,
      signedIn: null,
      cleared: 1,
    });
    expect(client.state).toBe('closed');
  });

  it('offline, the request never sent: failed, nothing deleted, the client kept; again online: deleted', async () => {
    const g = gate();
    const sockets = socketFamily();
    const { userId, client } = await signedInClient('sample-offline', {
      gate: g,
      WebSocket: sockets.WebSocket as never,
      requestTimeoutMs: 1000,
    });
    g.close();
    sockets.dropAll();
    await eventually(() => client.state === 'reconnecting');
    expect(await sample.deleteMyAccount(client, false)).toBe('failed');
    expect(sockets.requests('deleteAccount')).toEqual([]);
    await expectIdentityFollowsAccount(userId, false);
    expect({ flag: app.flag, cleared: app.storeCleared }).toEqual({ flag: null, cleared: 0 });
    expect(client.state).toBe('reconnecting');
    await sample.finishDeletion(); // the next start
    await expectIdentityFollowsAccount(userId, false);

    g.open();
    await eventually(() => client.state === 'open');
    expect(await sample.deleteMyAccount(client, false)).toBe('deleted');
    expect(sockets.requests('deleteAccount')).toHaveLength(1); // the failed one never left later
    await expectIdentityFollowsAccount(userId, true);
  });

  it('INTERNAL before the tombstone: failed, nothing deleted, the socket kept; the repeat on it: deleted', async () => {
    const { userId, client } = await signedInClient('sample-internal');
    const real = deps();
    const deactivations = Object.create(real.store.deactivations);
    let calls = 0;
    deactivations.markDeleted = async () => {
      calls++;
      throw new Error('ProvisionedThroughputExceededException');
    };
    setDeps({ ...real, store: Object.create(real.store, { deactivations: { value: deactivations } }) });
    expect(await sample.deleteMyAccount(client, false)).toBe('failed');
    expect(calls).toBeGreaterThan(0);
    await expectIdentityFollowsAccount(userId, false);
    expect({ flag: app.flag, cleared: app.storeCleared, state: client.state }).toEqual({
      flag: null,
      cleared: 0,
      state: 'open',
    });
    await sample.finishDeletion(); // the next start
    await expectIdentityFollowsAccount(userId, false);

    setDeps(undefined);
    expect(await sample.deleteMyAccount(client, false)).toBe('deleted');
    await expectIdentityFollowsAccount(userId, true);
  });

  it('the ack lost, the refusal unseen (a browser): unconfirmed, the flag kept; the next start deletes the identity', async () => {
    const { userId, client } = await signedInClient('sample-lost-ack', {
      WebSocket: BrowserLosingTheAck as never,
      requestTimeoutMs: 1500,
    });
    expect(await sample.deleteMyAccount(client, false)).toBe('unconfirmed');
    expect({ flag: app.flag, cleared: app.storeCleared, state: client.state }).toEqual({
      flag: userId,
      cleared: 1,
      state: 'closed',
    });
    expect(app.identities.has(userId)).toBe(true); // until the next start
    expect(await tombstoned(userId)).toBe(true);
    await sample.finishDeletion();
    await expectIdentityFollowsAccount(userId, true);
    expect(app.flag).toBeNull();
  });

  it('a restart with the flag of a user no longer signed in: the flag cleared, nobody deleted', async () => {
    const gone = uniqueId('sample-gone');
    const { userId } = await signedInClient('sample-other');
    app.flag = gone; // a deletion left pending by someone who signed out since
    await sample.finishDeletion();
    expect(app.flag).toBeNull();
    await expectIdentityFollowsAccount(userId, false);
    app.flag = gone;
    app.signedIn = null; // nobody signed in
    await sample.finishDeletion();
    expect(app.flag).toBeNull();
    expect(app.identities.has(userId)).toBe(true);
  });
});
