/**
 * In-memory stand-ins for what the fan-out talks to, shared by its unit tests (fanout, fanout-worker,
 * retry-quota): a Management API (AWS itself cannot run here; the end-to-end suites run the same code
 * against the local gateway's), a socket directory and a job queue.
 */
import type {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { type SocketDirectory, SocketLookupFailed } from '../../lambdas/fanout/directory.ts';
import type { Target } from '../../lambdas/fanout/fanout.ts';
import type { FanOutJob, JobQueue } from '../../lambdas/fanout/jobs.ts';

/** An error as the SDK throws it for an HTTP status. */
export function httpError(status: number, name: string): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

export const serverError = (): Error => httpError(500, 'InternalServerErrorException');

/**
 * A Management API: per connection, a queue of failures before success (each answer after 1 ms, or
 * `tick` when given: a fake clock's step). `calls`: every attempt's connection id; `delivered`: the
 * posts that succeeded.
 */
export function fakeApi(failures: Record<string, Error[]> = {}, tick?: () => void) {
  const delivered: { connectionId: string; data: string }[] = [];
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    async send(command: PostToConnectionCommand) {
      const id = command.input.ConnectionId as string;
      calls.push(id);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (tick) tick();
      else await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      const failure = failures[id]?.shift();
      if (failure) throw failure;
      delivered.push({ connectionId: id, data: new TextDecoder().decode(command.input.Data as Uint8Array) });
      return {};
    },
  } as unknown as ApiGatewayManagementApiClient;
  return { client, delivered, calls, maxInFlight: () => maxInFlight };
}

/**
 * A directory of users' sockets (`sockets`: user → connection ids) and groups' rosters; `gone`
 * records `<chatId or ->/<userId>/<connectionId>` of each socket forgotten, `rosterReads` the group of
 * each `someSocketsOfGroup`. The users in `unreachable` cannot be looked up (`SocketLookupFailed`)
 * while it holds them, nor the groups' rosters in it read (a throttled Query).
 */
export function fakeDirectory(
  sockets: Record<string, string[]> = {},
  roster: Record<string, Target[]> = {},
  unreachable = new Set<string>(),
) {
  const gone: string[] = [];
  const lookedUp: string[] = [];
  const rosterReads: string[] = [];
  const dir: SocketDirectory = {
    async socketsOfUsers(userIds) {
      lookedUp.push(...userIds);
      const users = [...new Set(userIds)];
      const found = users
        .filter((userId) => !unreachable.has(userId))
        .flatMap((userId) => (sockets[userId] ?? []).map((connectionId) => ({ userId, connectionId })));
      const missed = users.filter((userId) => unreachable.has(userId));
      if (missed.length > 0) throw new SocketLookupFailed(missed, found);
      return found;
    },
    async socketsOfGroup(chatId) {
      return roster[chatId] ?? [];
    },
    async someSocketsOfGroup(chatId, max) {
      rosterReads.push(chatId);
      if (unreachable.has(chatId))
        throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      const listed = roster[chatId] ?? [];
      return listed.length > max ? undefined : listed;
    },
    async gone(target, chatId) {
      gone.push(`${chatId ?? '-'}/${target.userId}/${target.connectionId}`);
      return true;
    },
  };
  return { dir, gone, lookedUp, rosterReads };
}

/** A job queue that records each send (its jobs and delay) and every job, or refuses them all. */
export function fakeQueue(refuse = false) {
  const sends: { jobs: FanOutJob[]; delaySeconds: number | undefined }[] = [];
  const jobs: FanOutJob[] = [];
  const queue: JobQueue = {
    async send(batch, options) {
      if (refuse) throw new Error('queue down');
      sends.push({ jobs: [...batch], delaySeconds: options?.delaySeconds });
      jobs.push(...batch);
    },
  };
  return { queue, sends, jobs };
}
