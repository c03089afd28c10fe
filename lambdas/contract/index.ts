/**
 * The wire contract, defined once: every action (request fields, ack, events), every event and
 * every object. Validation, the TypeScript types, the route table's action list, the typed client
 * and docs/asyncapi.yaml all come from here. Handlers import their own action from `./actions/*`
 * (so a bundle carries only what it uses); this registry is for the route table, tests and tools.
 */
import type { AckOf, ActionDef, RequestInputOf, RequestOf } from './action.ts';
import * as chats from './actions/chats.ts';
import * as media from './actions/media.ts';
import * as messages from './actions/messages.ts';
import * as people from './actions/people.ts';
import * as scheduled from './actions/scheduled.ts';

/** Every action, in the order of docs/protocol.md (v1, then the v2 additions). */
export const CONTRACT_ACTIONS = {
  ping: people.ping,
  createChat: chats.createChat,
  listChats: chats.listChats,
  getChat: chats.getChat,
  history: messages.history,
  sendMessage: messages.sendMessage,
  editMessage: messages.editMessage,
  deleteMessage: messages.deleteMessage,
  readMessage: messages.readMessage,
  typing: messages.typing,
  invite: chats.invite,
  removeMember: chats.removeMember,
  deleteChat: chats.deleteChat,
  getPresence: people.getPresence,
  requestUpload: media.requestUpload,
  getAttachmentUrl: media.getAttachmentUrl,
  react: messages.react,
  scheduleMessage: scheduled.scheduleMessage,
  listScheduled: scheduled.listScheduled,
  cancelScheduled: scheduled.cancelScheduled,
  registerDevice: people.registerDevice,
  unregisterDevice: people.unregisterDevice,
  muteChat: chats.muteChat,
  blockUser: people.blockUser,
  unblockUser: people.unblockUser,
  sync: messages.sync,
  markDelivered: messages.markDelivered,
  reportMessage: people.reportMessage,
  listReports: people.listReports,
  listBlocked: people.listBlocked,
  deactivateUser: people.deactivateUser,
  reactivateUser: people.reactivateUser,
  deleteAccount: people.deleteAccount,
  deleteUser: people.deleteUser,
} as const satisfies { [N in string]: ActionDef<N> };

export type Contract = typeof CONTRACT_ACTIONS;
export type ActionName = keyof Contract;
export type Request<N extends ActionName> = RequestOf<Contract[N]>;
export type RequestInput<N extends ActionName> = RequestInputOf<Contract[N]>;
export type Ack<N extends ActionName> = AckOf<Contract[N]>;

export const ACTION_NAMES = Object.keys(CONTRACT_ACTIONS) as ActionName[];

export const ACTION_LIST: readonly ActionDef[] = Object.values(CONTRACT_ACTIONS);

export type { EventFields, EventFrame, EventType } from './events.ts';
export { EVENTS } from './events.ts';
export * from './objects.ts';
