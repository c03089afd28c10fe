/**
 * `muteChat`: no pushes for a chat until a time (omitted: for ever; null: unmute), and tell the
 * caller's other sockets (`chat.muted`).
 */
import * as contract from '../contract/actions/chats.ts';
import { deps } from '../domain/deps.ts';
import { muteChat } from '../domain/mute.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.muteChat,
  run: (input, ctx) => muteChat(deps(), ctx.caller, { ...input, connectionId: ctx.connectionId }),
});
