/** `getChat`: one chat with its members. */
import { getChat } from '../domain/chats.ts';
import { deps } from '../domain/deps.ts';
import { requiredId } from '../shared/validate.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: 'getChat',
  parse: (fields) => requiredId(fields, 'chatId'),
  run: (chatId, ctx) => getChat(deps(), ctx.user, { chatId }),
});
