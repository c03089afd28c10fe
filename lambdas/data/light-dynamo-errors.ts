/**
 * How the light DynamoDB path (`light-dynamo.ts`) fails and retries like the SDK: its errors' shape,
 * its retry classification, network errors named as the SDK's HTTP handler names them, aborts, and
 * the signer's clock-skew correction.
 */
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { RetryErrorInfo, SdkError } from '@smithy/types';

/** The SDK's abort error (`name` AbortError); `cause`: what the request failed with meanwhile. */
export const abortError = (cause?: unknown): Error =>
  Object.assign(new Error('Request aborted'), { name: 'AbortError', ...(cause ? { cause } : {}) });

/** `promise`, or an AbortError as soon as `signal` fires (as the SDK's retry loop races its waits). */
export function race<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined); // settled later, and nobody waits for it any more
    return Promise.reject(abortError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Socket errors the SDK's HTTP handler reports as `TimeoutError` (the request may have landed). */
const TIMEOUT_CODES = ['ECONNRESET', 'EPIPE', 'ETIMEDOUT'];
export const asSdkNetworkError = (error: unknown): unknown => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TIMEOUT_CODES.includes(code)
    ? Object.assign(error as Error, { name: 'TimeoutError' })
    : error;
};

/** The SDK's retry classification (`retryMiddleware`): which kind of failure an error is. */
export function retryInfo(error: SdkError): RetryErrorInfo {
  if (isThrottlingError(error)) return { errorType: 'THROTTLING' };
  if (isTransientError(error)) return { errorType: 'TRANSIENT' };
  if (isServerError(error)) return { errorType: 'SERVER_ERROR' };
  return { errorType: 'CLIENT_ERROR' };
}

/** A client's clock correction, as the SDK's SigV4 signer keeps it on the client's config. */
export interface ClockConfig {
  systemClockOffset?: number;
}

/** The signer treats clocks this far apart as skewed. */
const SKEW_MS = 5 * 60 * 1000;

/** The time to sign with: the machine's, corrected by the client's offset. */
export const signingDate = (config: ClockConfig): Date =>
  new Date(Date.now() + (config.systemClockOffset ?? 0));

/**
 * The SDK signer's correction: when an answer's `date` header is 5 minutes or more from the
 * corrected clock, the client's offset becomes the difference. Returns whether it changed (an error
 * is then marked `clockSkewCorrected`, which the SDK's classification retries).
 */
export function correctClock(config: ClockConfig, date: string | string[] | undefined): boolean {
  const server = typeof date === 'string' ? Date.parse(date) : Number.NaN;
  if (Number.isNaN(server) || Math.abs(signingDate(config).getTime() - server) < SKEW_MS) return false;
  config.systemClockOffset = server - Date.now();
  return true;
}

/** The SDK's error for a DynamoDB error answer: its type, message, fault and members. */
export function errorOf(
  data: Record<string, unknown>,
  status: number,
  header: string | string[] | undefined,
  $metadata: Record<string, unknown>,
): Error {
  const { __type, message, Message, ...members } = data as {
    __type?: string;
    message?: string;
    Message?: string;
  };
  const type =
    (typeof __type === 'string' ? __type : undefined) ?? (typeof header === 'string' ? header : '');
  const name =
    type.split('#').pop()?.split(':')[0] || (status >= 500 ? 'InternalServerError' : 'UnknownError');
  const error = new DynamoDBServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata,
    message: message ?? Message ?? name,
  });
  return Object.assign(error, members);
}
