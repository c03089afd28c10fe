/**
 * The daily text budget setting (`textMbPerDay`, docs/security.md "Text"): the MB (MiB) of messages
 * one user may store in a UTC day by each action that stores text (sendMessage and scheduleMessage:
 * rate-limits.ts `storesText`), as `TEXT_MB_PER_DAY` on exactly those actions' functions.
 */
import { RATE_LIMITS } from '../lambdas/shared/rate-limits.ts';
import { TEXT_MB_PER_DAY_ENV } from '../lambdas/shared/user-caps.ts';
import type { ChatFunction } from './chat-function.ts';

/** 1 TB a day: past anything a person stores, and bytes the limiter still counts exactly. */
const MAX_TEXT_MB_PER_DAY = 1024 * 1024;

/**
 * `textMbPerDay`: a whole number of MB from 1 to 1048576 (the functions refuse anything but a
 * positive whole number at their first send). A string of digits (CDK context) is read as its number.
 */
export function checkTextMbPerDay(mb: unknown, field = 'textMbPerDay'): number {
  const value = typeof mb === 'string' && /^\d+$/.test(mb.trim()) ? Number(mb) : mb;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TEXT_MB_PER_DAY) {
    throw new Error(
      `${field} must be a whole number of MB from 1 to ${MAX_TEXT_MB_PER_DAY} (got ${JSON.stringify(mb)})`,
    );
  }
  return value;
}

/**
 * Sets `TEXT_MB_PER_DAY` on the functions of the routes whose rate limit counts stored text (the
 * only readers of it: `rateLimitOf` reads it for those actions alone); others are left alone.
 */
export function setTextBudget(functions: ReadonlyMap<string, ChatFunction>, mb: number): void {
  for (const [routeKey, fn] of functions) {
    if (RATE_LIMITS[routeKey]?.storesText) fn.function.addEnvironment(TEXT_MB_PER_DAY_ENV, String(mb));
  }
}
