/**
 * The wire types, straight from the contract (lambdas/contract). Types only: the bundle carries no
 * valibot. The package build replaces this module's declarations with a standalone copy generated
 * from the same contract (client/scripts/contract-dts.ts), so the published types need nothing else.
 */

export type { ErrorCode } from '../../lambdas/contract/errors.ts';
export type {
  Ack,
  ActionName,
  Attachment,
  AttachmentKind,
  Chat,
  ChatKind,
  ChatSummary,
  Device,
  EventFrame,
  EventType,
  Member,
  Message,
  Platform,
  Presence,
  Reaction,
  Report,
  RequestInput,
  Scheduled,
  Upload,
} from '../../lambdas/contract/index.ts';
