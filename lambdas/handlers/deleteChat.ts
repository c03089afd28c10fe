/** `deleteChat`: the owner deletes the chat for everyone. */
import { deleteChat } from '../domain/chats.ts';
import { deps } from '../domain/deps.ts';
import { requiredId } from '../shared/validate.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: 'deleteChat',
  parse: (fields) => requiredId(fields, 'chatId'),
  run: (chatId, ctx) => deleteChat(deps(), ctx.user, { chatId }),
});
