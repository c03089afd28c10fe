/**
 * The daily text budget setting (`textMbPerDay`, docs/security.md "Text"): the MB (MiB) of messages
 * one user may store in a UTC day by each action that stores text (sendMessage and scheduleMessage:
 * rate-limits.ts `storesText`), as `TEXT_MB_PER_DAY` on exactly those actions' functions.
 */
import { RATE_LIMITS } from '../lambdas/shared/rate-limits.ts';
import { TEXT_MB_PER_DAY_ENV } from '../lambdas/shared/user-caps.ts';
import type { ChatFunction } from './chat-function.ts';
import { wholeMbPerDay } from './mb-per-day.ts';

/**
 * `textMbPerDay`: a whole number of MB from 1 to 1048576 (the functions refuse anything but a
 * positive whole number at their first send). A string of digits (CDK context) is read as its number.
 */
export function checkTextMbPerDay(mb: unknown, field = 'textMbPerDay'): number {
  return wholeMbPerDay(mb, field, 1);
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
