/** `listChats`: the caller's chats, most recent activity first. */
import { listChats } from '../domain/chats.ts';
import { deps } from '../domain/deps.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: 'listChats',
  parse: () => undefined,
  run: (_input, ctx) => listChats(deps(), ctx.user),
});
