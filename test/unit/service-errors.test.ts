/** Errors the light paths shape from a service's answer (lambdas/shared/service-errors.ts). */
import { describe, expect, it } from 'vitest';
import { errorCodeOf, serviceError } from '../../lambdas/shared/service-errors.ts';

describe('serviceError', () => {
  it('takes the name from x-amzn-errortype first, then the body’s __type or code', () => {
    const body = JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'no queue' });
    expect(serviceError(400, body, { 'x-amzn-errortype': 'GoneException:http://x' }, 'X').name).toBe(
      'GoneException',
    );
    expect(serviceError(400, body, {}, 'X')).toMatchObject({
      name: 'QueueDoesNotExist',
      message: 'no queue',
    });
    expect(
      serviceError(400, JSON.stringify({ code: 'Throttling', Message: 'slow down' }), {}, 'X'),
    ).toMatchObject({ name: 'Throttling', message: 'slow down' });
  });

  it('falls back to the caller’s name for a body that is not JSON or names nothing', () => {
    for (const body of ['<html>proxy</html>', '', '[]', '{"__type":7}', '{"message":""}']) {
      const error = serviceError(502, body, {}, 'HTTP502');
      expect(error).toMatchObject({ name: 'HTTP502', message: 'HTTP502', $fault: 'server' });
    }
  });

  it('carries the status, the fault and the request id when there is one', () => {
    const error = serviceError(429, '{}', { 'x-amzn-requestid': 'r-1' }, 'LimitExceededException');
    expect(error).toMatchObject({
      $fault: 'client',
      $metadata: { httpStatusCode: 429, requestId: 'r-1' },
    });
    expect(
      Object.keys((serviceError(500, '{}', {}, 'E') as unknown as { $metadata: object }).$metadata),
    ).toEqual(['httpStatusCode']);
  });

  it('reads codes as the SDK does', () => {
    expect(errorCodeOf('com.amazonaws.sqs#QueueDoesNotExist:http://internal.amazon.com/')).toBe(
      'QueueDoesNotExist',
    );
    expect(errorCodeOf('ThrottlingException,Other')).toBe('ThrottlingException');
    expect(errorCodeOf('')).toBe('');
  });
});
