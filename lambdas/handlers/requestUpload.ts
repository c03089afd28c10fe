/** `requestUpload`: a presigned PUT URL for one attachment of a chat. */
import * as contract from '../contract/actions/media.ts';
import { deps } from '../domain/deps.ts';
import { requestUpload } from '../domain/upload-request.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.requestUpload,
  run: (input, ctx) => requestUpload(deps(), ctx.caller, input),
});
