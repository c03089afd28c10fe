/**
 * Per-user caps (issue 17, item 1): open sockets, chat memberships, the upload bytes of a day, the
 * text bytes of a day, blocks and the reports of a day. Read from the environment at
 * each use (tests and operators set them per stack); docs/security.md gives their values and cost.
 */
import { LIMITS } from '../contract/limits.ts';
import { readingEnv } from './env-use.ts';

export const MAX_SOCKETS_ENV = 'MAX_SOCKETS_PER_USER';
export const MAX_CHATS_ENV = 'MAX_CHATS_PER_USER';
/** The documented cap (docs/protocol.md), which the web page counts its tabs against too. */
export const DEFAULT_MAX_SOCKETS: number = LIMITS.socketsPerUser;
export const DEFAULT_MAX_CHATS = 1000;
/** How many users one user may have blocked at once (docs/security.md, "Blocks and reports"). */
export const MAX_BLOCKS_ENV = 'MAX_BLOCKS_PER_USER';
export const DEFAULT_MAX_BLOCKS = 1000;
/** How many messages one user may report in a UTC day (docs/security.md, "Reports"). */
export const MAX_REPORTS_ENV = 'MAX_REPORTS_PER_DAY';
export const DEFAULT_MAX_REPORTS = 100;
/** Megabytes (MiB) of uploads one user may request in 24 hours (deploy setting `uploadMbPerDay`). */
export const UPLOAD_MB_PER_DAY_ENV = 'UPLOAD_MB_PER_DAY';
export const DEFAULT_UPLOAD_MB_PER_DAY = 2048;

/**
 * Megabytes (MiB) of messages one user may store in a UTC day, by sendMessage and by scheduleMessage
 * each (rate-limits.ts `bytesPerDay`; docs/security.md says why 100).
 */
export const TEXT_MB_PER_DAY_ENV = 'TEXT_MB_PER_DAY';
export const DEFAULT_TEXT_MB_PER_DAY = 100;

function positive(name: string, fallback: number, env: Record<string, string | undefined>): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

export const maxSocketsPerUser = (env = readingEnv()): number =>
  positive(MAX_SOCKETS_ENV, DEFAULT_MAX_SOCKETS, env);
export const maxChatsPerUser = (env = readingEnv()): number =>
  positive(MAX_CHATS_ENV, DEFAULT_MAX_CHATS, env);
export const maxBlocksPerUser = (env = readingEnv()): number =>
  positive(MAX_BLOCKS_ENV, DEFAULT_MAX_BLOCKS, env);
export const maxReportsPerDay = (env = readingEnv()): number =>
  positive(MAX_REPORTS_ENV, DEFAULT_MAX_REPORTS, env);
/** The bytes of uploads one user may request in 24 hours (`UPLOAD_MB_PER_DAY` MiB). */
export const uploadBytesPerDay = (env = readingEnv()): number =>
  positive(UPLOAD_MB_PER_DAY_ENV, DEFAULT_UPLOAD_MB_PER_DAY, env) * 1024 * 1024;
/** The bytes of messages one user may store in a UTC day, per action (`TEXT_MB_PER_DAY` MiB). */
export const textBytesPerDay = (env = readingEnv()): number =>
  positive(TEXT_MB_PER_DAY_ENV, DEFAULT_TEXT_MB_PER_DAY, env) * 1024 * 1024;
