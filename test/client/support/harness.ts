/** Builds clients over FakeSocket with vitest's fake timers, and unsigned JWTs for them. */
import { vi } from 'vitest';
import {
  type ChatClient,
  type ClientOptions,
  connect,
  type OutboxChange,
  type StateChange,
} from '../../../client/src/index.ts';
import { FakeSocket } from './fake-socket.ts';

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT the client can read (`sub`, `exp`); the signature is not checked by anyone here. */
export function jwt(claims: { sub?: string; exp?: number; name?: string } = {}): string {
  return `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: 'me', ...claims })}.sig`;
}

/** Lets promise chains run and timers due within `ms` fire (a 0 ms timer takes 1 ms, as in Node). */
export const flush = (ms = 1): Promise<unknown> => vi.advanceTimersByTimeAsync(ms);

export interface Harness {
  readonly client: ChatClient;
  readonly states: StateChange[];
}

export function fakeClient(options: Partial<ClientOptions> = {}): Harness {
  const client = connect({
    url: 'ws://chat.test/prod',
    token: jwt(),
    WebSocket: FakeSocket,
    backoffBaseMs: 100,
    backoffMaxMs: 10_000,
    ...options,
  });
  const states: StateChange[] = [];
  client.on('state', (s) => states.push(s));
  return { client, states };
}

/** A fake client (sync off) whose socket has opened, with the `outbox` changes it heard. */
export async function openedClient(): Promise<Harness & { readonly changes: OutboxChange[] }> {
  const h = fakeClient({ sync: false });
  await flush();
  FakeSocket.last.open();
  const changes: OutboxChange[] = [];
  h.client.on('outbox', (c) => changes.push(c));
  return { ...h, changes };
}

/** The server's refusal past the daily text budget, ten hours before 00:00 UTC (RATE_LIMITED). */
export const TEN_HOURS = 36_000_000;
export const BUDGET = {
  message: 'Too much text stored today: at most 100 MB a day. Retry in 36000 s.',
  retryAfterMs: TEN_HOURS,
};
