/**
 * @serverless-chat/client — a typed client for the serverless-chat WebSocket API.
 *
 *   const client = connect({ url, token: () => auth.getToken() });
 *   client.on('messages', ({ chatId, messages }) => render(chatId));
 *   await client.sendMessage(chatId, 'Hi!');
 */
export type {
  ChatInfo,
  ClientEvents,
  ClientOptions,
  ClientStats,
  ConnectionState,
  Logger,
  OutboxChange,
  OutboxEntry,
  StateChange,
  StateReason,
  TokenSource,
  WebSocketConstructor,
  WebSocketLike,
} from './api.ts';
export { ChatClient, connect, type RequestArgs, type RequestOptions, type SendOptions } from './client.ts';
export type * from './contract.ts';
export { ChatClientError, type ClientErrorCode } from './errors.ts';
export { MAX_FRAME_BYTES } from './frame.ts';
export {
  createGroup,
  type FetchLike,
  registerPushToken,
  scheduleMessage,
  sendAttachment,
  type UploadInput,
  uploadAttachment,
} from './helpers.ts';
export {
  type ClientStore,
  MemoryStore,
  type StoreChanges,
  type StoredChat,
  type StoreSnapshot,
} from './store.ts';
export type { AttachmentUrls } from './urls.ts';
