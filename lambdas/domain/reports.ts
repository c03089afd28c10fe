/**
 * Reports (issue 14): any member reports a message to the administrators (reporting the same
 * message twice files one report and answers its id again); administrators list them, newest
 * first, a page at a time. `listReports` is refused to everyone else before it gets here (the
 * contract marks it `adminOnly`: lambdas/shared/ws-middleware.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Report } from '../contract/objects.ts';
import type { Caller } from '../shared/caller.ts';
import { badRequest, forbidden } from '../shared/errors.ts';
import { maxReportsPerDay } from '../shared/user-caps.ts';
import { chatNotFound, loadMemberAndChat } from './access.ts';
import type { Deps } from './deps.ts';
import { findMessage, type MessageRef } from './messages.ts';

export async function reportMessage(
  deps: Deps,
  caller: Caller,
  input: MessageRef & { readonly reason: string },
): Promise<{ reportId: string }> {
  // The caller's membership by key (a report needs no member list), then the message.
  await loadMemberAndChat(deps, caller, input.chatId);
  const message = await findMessage(deps, input);
  const max = maxReportsPerDay();
  const outcome = await deps.store.reports.file(
    {
      reportId: `r_${randomBytes(12).toString('base64url')}`,
      chatId: input.chatId,
      messageId: input.messageId,
      reporterId: caller.userId,
      reason: input.reason,
      createdAt: deps.now().toISOString(),
    },
    message.seq,
    max,
  );
  if (outcome.status === 'limit') {
    throw badRequest(
      `"messageId" cannot be reported: you have reported ${max} messages today, the most one user can in a day (UTC). Report again after midnight UTC.`,
    );
  }
  // Deleted since the checks above (its mark came first): as deleted before them.
  if (outcome.status === 'chat-gone') throw chatNotFound(input.chatId);
  return { reportId: outcome.reportId };
}

/**
 * The opaque cursor of `listReports`: the sort key of the last report of a page, or the last UTC
 * day a page read when it found too few (the next page starts the day before).
 */
const encodeCursor = (after: string): string => Buffer.from(after, 'utf8').toString('base64url');

function decodeCursor(cursor: string): string {
  const after = Buffer.from(cursor, 'base64url').toString('utf8');
  // A report's sort key (an ISO time, `#`, its id), or a day that exists.
  const sortKey = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z#r_[\w-]+$/.test(after);
  const time = /^\d{4}-\d{2}-\d{2}$/.test(after) ? Date.parse(after) : Number.NaN;
  const day = !Number.isNaN(time) && new Date(time).toISOString().startsWith(after);
  if (!sortKey && !day) throw badRequest('"cursor" must be the nextCursor of an earlier listReports.');
  return after;
}

export async function listReports(
  deps: Deps,
  caller: Caller,
  input: { readonly limit: number; readonly cursor?: string | undefined },
): Promise<{ reports: Report[]; nextCursor: string | null }> {
  if (!caller.admin) throw forbidden('Only administrators can list reports.');
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor);
  const page = await deps.store.reports.list(input.limit, after, deps.now().toISOString().slice(0, 10));
  return {
    reports: page.reports.map((r) => ({
      reportId: r.reportId,
      chatId: r.chatId,
      messageId: r.messageId,
      reporterId: r.reporterId,
      reason: r.reason,
      createdAt: r.createdAt,
    })),
    nextCursor: page.after === undefined ? null : encodeCursor(page.after),
  };
}
