/**
 * The early warning of a chat nearing its storage limit. A chat's messages, claims, reactions and
 * uploads live in its partition, which holds at most 10 GB (items plus local-index entries: the
 * table has local indexes); past it every write that would grow it is refused (`ChatFull`,
 * FORBIDDEN). Each message put answers DynamoDB's estimate of the partition's size at no cost
 * (lambdas/data/messages.ts); a send whose estimate reaches `CHAT_NEAR_FULL_GB` logs a WARN naming
 * the chat and counts `ChatStorageNearFull` (alarmed: docs/operations.md says what to do).
 */
import { logger } from '../shared/logger.ts';
import { countMetric } from '../shared/metrics.ts';

/** DynamoDB's limit on a partition of a table with local indexes (its item collection), in GB. */
export const CHAT_LIMIT_GB = 10;

/**
 * A chat whose size estimate (its upper bound) reaches this is near full: room for ~1.1 million
 * more messages of 1 KB, or ~7 hours of a sender at the rate limit with the longest texts
 * (docs/data-model.md, "Size of a chat").
 */
export const CHAT_NEAR_FULL_GB = 8;

/** Warns when a send found its chat near full (`chatGB`: the put's estimate, undefined without one). */
export function noteChatSize(chatId: string, chatGB: number | undefined): void {
  if (chatGB === undefined || chatGB < CHAT_NEAR_FULL_GB) return;
  logger.warn('chat storage near its limit', { chatId, chatGB, limitGB: CHAT_LIMIT_GB });
  countMetric('ChatStorageNearFull');
}
