/**
 * An error an AWS service answered to one of the light paths' requests (posts: `light-posts.ts`;
 * SQS: `light-sqs.ts`), shaped as the SDK's protocols shape it, so that callers and their retry
 * policies read it as they would the SDK client's: `name` from the `x-amzn-errortype` header, else
 * the body's `__type` or `code` (`com.amazonaws.sqs#QueueDoesNotExist:http://…` →
 * `QueueDoesNotExist`), else the caller's name for the status; the body's `message`; `$fault` by
 * status; `$metadata` with the status and the request id.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** An error code as the SDK reads it: the part after `#`, before `:` and `,`. */
export const errorCodeOf = (raw: string): string => raw.split(':')[0]?.split(',')[0]?.split('#').pop() ?? '';

export function serviceError(
  status: number,
  body: string,
  headers: IncomingHttpHeaders,
  /** The name when the answer gives none (a proxy's page, an empty body). */
  fallbackName: string,
): Error {
  let parsed: { __type?: unknown; code?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    const value: unknown = JSON.parse(body);
    if (value && typeof value === 'object') parsed = value;
  } catch {
    // Not JSON: named by the header or the status.
  }
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const header = text(headers['x-amzn-errortype']);
  const name = errorCodeOf(header ?? text(parsed.__type) ?? text(parsed.code) ?? '') || fallbackName;
  const requestId = text(headers['x-amzn-requestid']);
  return Object.assign(new Error(text(parsed.message) || text(parsed.Message) || name), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, ...(requestId ? { requestId } : {}) },
  });
}
