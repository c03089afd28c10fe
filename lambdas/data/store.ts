/**
 * The data layer's entry point: `ChatStore`, one repository per entity over the single table.
 * Nothing else in the code base talks to DynamoDB. Every repository method is one named access
 * pattern: a key lookup, a Query or a (transactional) write on known keys. No Scan (the only one is
 * the operator's scripts/repair-block-mirror.ts), and what a request reads is bounded by the caps,
 * not by the table: the chat at hand (≤ 1,000 members by the group cap, ≤ 10 sockets each, the
 * messages asked for), the caller's own items, one item or Query per chat of the caller's
 * (≤ 1,000, MAX_CHATS_PER_USER: $connect, $disconnect, listChats, getPresence) or per user the
 * request names. docs/data-model.md lists every pattern with its keys and cost.
 *
 *   keys.ts        the one place where keys are built (and the key layout table)
 *   item.ts        how an item kind is declared; items.ts declares every kind once
 *   table-client.ts  paging, batches with backoff, transactions, condition failures as values
 *   connections.ts `connections`, `profiles`   chats.ts    `chats` (memberships, direct pairs)
 *   messages.ts    `messages` (and the version and client-id indexes)
 *   sequence.ts    `sequence`: seq and version allocation on `META`, voids
 *   claims.ts      `claims`: clientMessageId claims     cursors.ts  `cursors` (read, delivery)
 *   group-keys.ts  `groupKeys`: the group each creator's clientChatId names
 *   head-cache.ts  `heads`: the container's cache of chat heads (no DynamoDB access)
 *   devices.ts     `devices`: push devices and token owners   mutes.ts  `mutes`: per-member mutes
 *   push-marks.ts  `pushMarks`: which messages' notifications went out (the push function's repeats)
 *   scheduled.ts   `scheduled` (scheduled messages, the pending count)
 *   due-index.ts   `due` (the due index of scheduled messages, the sweep's cursor)
 *   rosters.ts     `rosters` (the open sockets of each group's members, join markers)
 *   uploads.ts     `uploads` (media uploads of a chat; their bytes are in S3: media-bucket.ts)
 *   blocks.ts      `blocks` (who each user has blocked)
 *   reactions.ts   `reactions` (who has which emoji on a message; the message's summary)
 *   audit.ts       `audit` (administrator actions, by day)
 *   reports.ts     `reports` (reports of messages, for administrators)
 *   rate-limits.ts `limits` (per-user rate-limit windows: one small item per user and action)
 *   deactivations.ts `deactivations` (users an administrator deactivated)
 *   byte-budgets.ts `budgets` (per-user byte budgets: the upload bytes of a day)
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { getDocumentClient } from '../shared/clients.ts';
import { config } from '../shared/config.ts';
import { AuditRepository } from './audit.ts';
import { BadgeRepository } from './badges.ts';
import { BlockRepository } from './blocks.ts';
import { ByteBudgetRepository } from './byte-budgets.ts';
import { ChatRepository } from './chats.ts';
import { ClaimRepository } from './claims.ts';
import { ConnectionRepository } from './connections.ts';
import { ReadCursorRepository } from './cursors.ts';
import { DeactivationRepository } from './deactivations.ts';
import { DeviceRepository } from './devices.ts';
import { DueIndexRepository } from './due-index.ts';
import { GroupKeyRepository } from './group-keys.ts';
import { ChatHeadCache } from './head-cache.ts';
import { MessageRepository } from './messages.ts';
import { MuteRepository } from './mutes.ts';
import { ProfileRepository } from './profiles.ts';
import { PushMarkRepository } from './push-marks.ts';
import { RateLimitRepository } from './rate-limits.ts';
import { ReactionRepository } from './reactions.ts';
import { ReportRepository } from './reports.ts';
import { RetentionRepository } from './retention.ts';
import { RosterRepository } from './rosters.ts';
import { ScheduledRepository } from './scheduled.ts';
import { SequenceRepository } from './sequence.ts';
import { SocketCountRepository } from './socket-count.ts';
import { TableClient } from './table-client.ts';
import { UploadRepository } from './uploads.ts';

/** The record types and helpers the domain builds on. */
export type { ChatWithMembers } from './chats.ts';
export type { ChatHead } from './head-cache.ts';
export type {
  AuditAction,
  AuditRecord,
  ChatKind,
  ChatRecord,
  DeactivationRecord,
  DeviceRecord,
  FinishedScheduledRecord,
  GroupKeyRecord,
  MemberRecord,
  MembershipRef,
  MessageRecord,
  Platform,
  ReportRecord,
  Role,
  ScheduledRecord,
  ScheduledStatus,
  Slot,
  StoredAttachment,
  StoredReaction,
  StoredSchedule,
  UploadRecord,
} from './items.ts';
export {
  byJoined,
  CONNECTION_TTL_SECONDS,
  connectionExpiresAt,
  isFinishedSchedule,
  REACTION_USERS_LISTED,
} from './items.ts';
export type { RosterEntry, RosterSocket } from './rosters.ts';
export type { Completion, DueRef } from './scheduled.ts';

export class ChatStore {
  readonly connections: ConnectionRepository;
  readonly profiles: ProfileRepository;
  readonly chats: ChatRepository;
  readonly messages: MessageRepository;
  readonly cursors: ReadCursorRepository;
  readonly rosters: RosterRepository;
  readonly sequence: SequenceRepository;
  readonly claims: ClaimRepository;
  readonly groupKeys: GroupKeyRepository;
  readonly heads: ChatHeadCache;
  /** Push devices and token owners (devices.ts). */
  readonly devices: DeviceRepository;
  /** Per-member chat mutes (mutes.ts). */
  readonly mutes: MuteRepository;
  /** Messages whose notifications went out (push-marks.ts). */
  readonly pushMarks: PushMarkRepository;
  readonly badges: BadgeRepository;
  readonly scheduled: ScheduledRepository;
  readonly due: DueIndexRepository;
  readonly uploads: UploadRepository;
  readonly blocks: BlockRepository;
  readonly reactions: ReactionRepository;
  readonly audit: AuditRepository;
  readonly reports: ReportRepository;
  readonly limits: RateLimitRepository;
  /** Per-user byte budgets: upload bytes a day (byte-budgets.ts). */
  readonly budgets: ByteBudgetRepository;
  readonly socketCount: SocketCountRepository;
  readonly retention: RetentionRepository;
  /** Users an administrator deactivated (deactivations.ts). */
  readonly deactivations: DeactivationRepository;

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    const table = new TableClient(client, tableName);
    this.connections = new ConnectionRepository(table);
    this.profiles = new ProfileRepository(table);
    this.chats = new ChatRepository(table);
    this.messages = new MessageRepository(table);
    this.cursors = new ReadCursorRepository(table);
    this.rosters = new RosterRepository(table);
    this.sequence = new SequenceRepository(table);
    this.claims = new ClaimRepository(table);
    this.groupKeys = new GroupKeyRepository(table);
    this.heads = new ChatHeadCache();
    this.devices = new DeviceRepository(table);
    this.mutes = new MuteRepository(table);
    this.pushMarks = new PushMarkRepository(table);
    this.badges = new BadgeRepository(table);
    this.scheduled = new ScheduledRepository(table);
    this.due = new DueIndexRepository(table);
    this.uploads = new UploadRepository(table);
    this.blocks = new BlockRepository(table);
    this.reactions = new ReactionRepository(table);
    this.audit = new AuditRepository(table);
    this.reports = new ReportRepository(table);
    this.limits = new RateLimitRepository(table);
    this.budgets = new ByteBudgetRepository(table);
    this.socketCount = new SocketCountRepository(table);
    this.retention = new RetentionRepository(table);
    this.deactivations = new DeactivationRepository(table);
  }
}

let shared: ChatStore | undefined;

/** The container's store, built on the shared document client. */
export function store(): ChatStore {
  // The table's name read at each call (the test run records each function's uses of it).
  const { tableName } = config();
  shared ??= new ChatStore(getDocumentClient(), tableName);
  return shared;
}

/** Replace the container's store (tests, the bench). */
export function setStore(next: ChatStore | undefined): void {
  shared = next;
}
