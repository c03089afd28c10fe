/**
 * The Management API's error types by HTTP status, as API Gateway names them in `x-amzn-errortype`:
 * what the local gateway answers with (local/gateway/management.ts) and what a light post names an
 * error by when the answer does not (light-posts.ts).
 */
export const MANAGEMENT_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'BadRequestException',
  403: 'ForbiddenException',
  410: 'GoneException',
  413: 'PayloadTooLargeException',
  429: 'LimitExceededException',
  500: 'InternalServerErrorException',
  503: 'ServiceUnavailableException',
};
