/**
 * Key builders for every item kind of the single table. Keys are prefixed so that item kinds that
 * share a partition sort into clean, queryable ranges:
 *
 * | item              | pk               | sk                          | gsi1pk         | gsi1sk          |
 * |-------------------|------------------|-----------------------------|----------------|-----------------|
 * | user profile      | USER#<userId>    | PROFILE                     |                |                 |
 * | connection        | USER#<userId>    | CONN#<connectionId>         |                |                 |
 * | chat              | CHAT#<chatId>    | META                        |                |                 |
 * | membership        | CHAT#<chatId>    | MEMBER#<userId>             | USER#<userId>  | CHAT#<chatId>   |
 * | message           | CHAT#<chatId>    | MSG#<seq, 12 digits>        |                |                 |
 * | client message id | CHAT#<chatId>    | CMID#<senderId>#<clientId>  |                |                 |
 * | direct-chat pair  | PAIR#<a>#<b>     | PAIR                        |                |                 |
 *
 * Within a chat partition, `MEMBER#…` < `META` < `MSG#…`, so one Query over the range
 * [`MEMBER#`, `META`] reads the chat and all its members at once.
 */
export interface Key {
  readonly pk: string;
  readonly sk: string;
}

export const SEQ_DIGITS = 12;

export const PREFIX = {
  user: 'USER#',
  chat: 'CHAT#',
  connection: 'CONN#',
  member: 'MEMBER#',
  message: 'MSG#',
  clientMessage: 'CMID#',
} as const;

export const userPk = (userId: string): string => `${PREFIX.user}${userId}`;
export const chatPk = (chatId: string): string => `${PREFIX.chat}${chatId}`;
export const seqSk = (seq: number): string => `${PREFIX.message}${String(seq).padStart(SEQ_DIGITS, '0')}`;

export const keys = {
  profile: (userId: string): Key => ({ pk: userPk(userId), sk: 'PROFILE' }),
  connection: (userId: string, connectionId: string): Key => ({
    pk: userPk(userId),
    sk: `${PREFIX.connection}${connectionId}`,
  }),
  chat: (chatId: string): Key => ({ pk: chatPk(chatId), sk: 'META' }),
  member: (chatId: string, userId: string): Key => ({ pk: chatPk(chatId), sk: `${PREFIX.member}${userId}` }),
  message: (chatId: string, seq: number): Key => ({ pk: chatPk(chatId), sk: seqSk(seq) }),
  clientMessage: (chatId: string, senderId: string, clientMessageId: string): Key => ({
    pk: chatPk(chatId),
    sk: `${PREFIX.clientMessage}${senderId}#${clientMessageId}`,
  }),
} as const;

/** The direct-chat pointer of a pair of users (order-independent; ids never contain `#`). */
export function pairKey(a: string, b: string): Key {
  const [x, y] = [a, b].sort();
  return { pk: `PAIR#${x}#${y}`, sk: 'PAIR' };
}

/** The GSI keys a membership item carries so a user's chats are one Query. */
export const membershipIndexKeys = (chatId: string, userId: string) => ({
  gsi1pk: userPk(userId),
  gsi1sk: chatPk(chatId),
});

export function stripPrefix(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}
