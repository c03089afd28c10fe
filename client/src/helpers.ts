/**
 * Thin helpers for the v2 flows; each is one or two requests. Tree-shaken away when unused.
 * (Reactions are `client.react`, through the outbox.)
 */
import type { ChatClient } from './client.ts';
import type { Ack, ActionName, Message, Platform, RequestInput } from './contract.ts';
import { ChatClientError, codeOf } from './errors.ts';
import { randomId, sleep } from './util.ts';

/** The part of `fetch` an upload needs (the global one in browsers, React Native and Node ≥ 18). */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: never },
) => Promise<{ ok: boolean; status: number }>;

export interface UploadInput {
  readonly chatId: string;
  /** The bytes: a Blob/File, an ArrayBuffer or a typed array (whatever your `fetch` takes as body). */
  readonly body: unknown;
  readonly contentType: string;
  /** Bytes; read from `body.size` or `body.byteLength` when left out. */
  readonly size?: number;
  readonly fileName?: string;
  /** @default globalThis.fetch */
  readonly fetch?: FetchLike;
}

/** requestUpload, then PUT the bytes with the returned headers; resolves with the uploadId. */
export async function uploadAttachment(client: ChatClient, input: UploadInput): Promise<string> {
  const body = input.body as { size?: number; byteLength?: number };
  const size = input.size ?? body.size ?? body.byteLength;
  if (typeof size !== 'number') throw new ChatClientError('BAD_REQUEST', 'Give the size of the upload.');
  const { upload } = await client.request('requestUpload', {
    chatId: input.chatId,
    contentType: input.contentType,
    size,
    fileName: input.fileName,
  });
  const put = input.fetch ?? (globalThis as unknown as { fetch: FetchLike }).fetch;
  const res = await put(upload.url, {
    method: upload.method,
    headers: upload.headers,
    body: body as never,
  });
  if (!res.ok)
    throw new ChatClientError('INTERNAL', `The upload failed with HTTP ${res.status}.`, 'requestUpload');
  return upload.uploadId;
}

/** Uploads one file and sends it (with an optional caption) through the outbox. */
export async function sendAttachment(
  client: ChatClient,
  input: UploadInput & { text?: string },
): Promise<Message> {
  const uploadId = await uploadAttachment(client, input);
  return client.sendMessage(input.chatId, input.text ?? '', { attachments: [{ uploadId }] });
}

/**
 * The request, retried as `retries: 2` does, and after a `CONFLICT` ("busy, please retry": nothing
 * was written) up to 4 times more, `waitMs` apart.
 */
async function unbusy<N extends ActionName>(
  client: ChatClient,
  action: N,
  fields: RequestInput<N>,
  waitMs = 500,
): Promise<Ack<N>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await (client.request as (...args: unknown[]) => Promise<Ack<N>>)(action, fields, {
        retries: 2,
      });
    } catch (error) {
      if (attempt >= 4 || codeOf(error) !== 'CONFLICT') throw error;
      await sleep(waitMs);
    }
  }
}

/**
 * Schedules a message, with `fields.clientMessageId` or a fresh one, the same in every retry (also
 * of `CONFLICT`, "busy"), so a retry answers the schedule already made instead of making a second.
 * To try again later (after this gave up), keep your own clientMessageId and pass it again.
 */
export function scheduleMessage(
  client: ChatClient,
  fields: RequestInput<'scheduleMessage'>,
): Promise<Ack<'scheduleMessage'>> {
  return unbusy(client, 'scheduleMessage', { clientMessageId: randomId(), ...fields });
}

/**
 * Creates a group. Its clientChatId (`fields.clientChatId`, else a fresh one), the same in every
 * retry, makes a retry (after a lost ack or `INTERNAL`) answer the group already created
 * (`created: false`) instead of creating a second one. `CONFLICT` (a big group still being created
 * under it) is retried with it too, for about 24 s: past the server's 10 s, after which a repeat
 * completes the group itself. To try again later (after this gave up or the app restarted) without
 * making a second group, keep your own clientChatId with the draft and pass it again.
 */
export async function createGroup(
  client: ChatClient,
  fields: Omit<Extract<RequestInput<'createChat'>, { kind: 'group' }>, 'kind'>,
): Promise<Ack<'createChat'>> {
  // The server answers CONFLICT after waiting 4 s: 4 more tries 2 s apart span 24 s.
  return unbusy(
    client,
    'createChat',
    { ...fields, kind: 'group', clientChatId: fields.clientChatId ?? randomId() },
    2000,
  );
}

/**
 * Registers this device's push token (APNs or FCM). Call it on every app start (and when the OS
 * rotates the token): a device not registered for the server's window (60 days by default) gets no
 * push; registering the same token again keeps its device live. When a push wakes the app, call
 * `client.syncNow()` (or just let the client reconnect): a delta sync, not a reload. A `CONFLICT`
 * ("busy": your devices changed meanwhile, nothing written) is retried.
 */
export function registerPushToken(
  client: ChatClient,
  platform: Platform,
  token: string,
  appId?: string,
): Promise<Ack<'registerDevice'>> {
  return unbusy(client, 'registerDevice', { platform, token, appId });
}
