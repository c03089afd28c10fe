/** `getAttachmentUrl`: a fresh download URL for an attachment, for members only. */
import * as contract from '../contract/actions/media.ts';
import { deps } from '../domain/deps.ts';
import { getAttachmentUrl } from '../domain/media.ts';
import { wsAction } from '../shared/ws-middleware.ts';

export const handler = wsAction({
  action: contract.getAttachmentUrl,
  run: (input, ctx) => getAttachmentUrl(deps(), ctx.caller, input),
});
