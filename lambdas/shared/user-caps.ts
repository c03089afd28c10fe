/**
 * Per-user caps (issue 17, item 1): open sockets and chat memberships. Read from the environment at
 * each use (tests and operators set them per stack); docs/security.md gives their values and cost.
 */
export const MAX_SOCKETS_ENV = 'MAX_SOCKETS_PER_USER';
export const MAX_CHATS_ENV = 'MAX_CHATS_PER_USER';
export const DEFAULT_MAX_SOCKETS = 10;
export const DEFAULT_MAX_CHATS = 1000;

function positive(name: string, fallback: number, env: Record<string, string | undefined>): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

export const maxSocketsPerUser = (env = process.env): number =>
  positive(MAX_SOCKETS_ENV, DEFAULT_MAX_SOCKETS, env);
export const maxChatsPerUser = (env = process.env): number => positive(MAX_CHATS_ENV, DEFAULT_MAX_CHATS, env);
