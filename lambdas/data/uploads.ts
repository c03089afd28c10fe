/**
 * Media uploads (`UPLOAD#<uploadId>` in the chat partition): requested by `requestUpload`, used once
 * by `sendMessage`, listed when the chat is deleted. Every public method is one access pattern (all
 * of them are listed in docs/data-model.md).
 */
import { isChatFull } from '../shared/errors.ts';
import { UPLOAD, UPLOAD_TTL_SECONDS, type UploadRecord } from './items.ts';
import { keys, TTL_ATTRIBUTE } from './keys.ts';
import { ifConditionFails, refusedOrBusy, type TableClient } from './table-client.ts';

/** All uploads were marked used by this send, or one of them was used (or is gone) meanwhile. */
/** `busy`: cancelled by contention every time (other transactions, throttling); nothing was claimed. */
export type ClaimOutcome = 'claimed' | 'taken' | 'busy';

/** Pending, or already used by this very send (a retry with the same clientMessageId). */
const claimable = '#status = :pending OR (#status = :used AND usedBy = :by)';
/** `claimable` as read: still pending, or still used by this very send, whichever it was read as. */
const claimableAsRead = (u: UploadRecord): string =>
  u.status === 'pending' ? '#status = :pending' : '#status = :used AND usedBy = :by';
/**
 * Not given its TTL by a deleted chat's retention (lambdas/data/retention.ts), which sets the time
 * of the deletion, now or past: an upload that may be claimed has no TTL (used) or its own, days
 * ahead (`UPLOAD_TTL_SECONDS` after its request or release, claimed within `UPLOAD_CLAIM_SECONDS`).
 * A claim racing the retention then cannot remove the TTL the retention just set.
 */
const notRetained = 'attribute_not_exists(#ttl) OR #ttl > :retainedBy';
/** The condition that an upload was not given back since it was read with `releases` (absent: never). */
function releasedAsRead(releases: number | undefined): {
  condition: string;
  values: Record<string, number>;
} {
  return releases === undefined
    ? { condition: 'attribute_not_exists(#releases)', values: {} }
    : { condition: '#releases = :releases', values: { ':releases': releases } };
}
/** Margin over the clocks of the deleting function and this one (far below the TTL's days ahead). */
const RETENTION_MARGIN_SECONDS = 3600;

export class UploadRepository {
  constructor(private readonly table: TableClient) {}

  /** Stores a new pending upload (its key is fresh and random: an unconditional Put). */
  async create(upload: UploadRecord): Promise<void> {
    await this.table.put({ Item: UPLOAD.toItem(upload) });
  }

  /** The uploads of a chat that exist among `uploadIds` (BatchGet, consistent), by uploadId. */
  async getMany(chatId: string, uploadIds: readonly string[]): Promise<Map<string, UploadRecord>> {
    const items = await this.table.batchGet(
      uploadIds.map((id) => keys.upload(chatId, id)),
      { consistent: true },
    );
    return new Map(items.map((item) => UPLOAD.fromItem(item)).map((u) => [u.uploadId, u]));
  }

  /**
   * Marks every upload used by the send `usedBy`, all or none (one transaction), each guarded on
   * being pending (or used by this same send) and requested by `userId`. A used upload loses its TTL:
   * it is now the chat's record of bytes a message carries. A transaction that another one held
   * (the same send retried at once, a release) is sent again: only a failed condition is `taken`,
   * and contention that outlasts the attempts is `busy`.
   * An upload of a deleted chat whose retention has reached it (`notRetained`) is `taken` too.
   *
   * `asRead` (a send's claim): each upload also not given back since it was read (its `releases`
   * as in the record passed), and still pending or still used by this send as it was read, else
   * `taken`. A release re-tags the object pending first, so a send that tagged it attached before
   * that, from an earlier read, must not claim it untagged; and of the attempts of one send that
   * read it pending, one takes it from pending (the others read it again, as used by this send). The
   * one-off claim that puts the pending tag back (`untagUnclaimed`) passes `asRead: false`.
   *
   * `token` (an attempt's random token) is recorded as `claimToken`, for `handOver`.
   */
  async claim(
    uploads: readonly UploadRecord[],
    userId: string,
    usedBy: string,
    at: Date,
    { asRead = true, token }: { readonly asRead?: boolean; readonly token?: string } = {},
  ): Promise<ClaimOutcome> {
    const retainedBy = Math.floor(at.getTime() / 1000) + RETENTION_MARGIN_SECONDS;
    const write = this.table.transactThroughConflicts(
      uploads.map((u) => {
        const unreleased = asRead ? releasedAsRead(u.releases) : undefined;
        return {
          Update: {
            Key: keys.upload(u.chatId, u.uploadId),
            UpdateExpression: `SET #status = :used, usedBy = :by${token ? ', claimToken = :token' : ''} REMOVE #ttl`,
            ConditionExpression:
              `attribute_exists(pk) AND userId = :user AND (${asRead ? claimableAsRead(u) : claimable}) AND (${notRetained})` +
              (unreleased ? ` AND (${unreleased.condition})` : ''),
            ExpressionAttributeNames: {
              '#status': 'status',
              '#ttl': TTL_ATTRIBUTE,
              ...(unreleased ? { '#releases': 'releases' } : {}),
            },
            ExpressionAttributeValues: {
              ...(asRead && u.status !== 'pending' ? {} : { ':pending': 'pending' }),
              ':used': 'used',
              ':by': usedBy,
              ':user': userId,
              ':retainedBy': retainedBy,
              ...(token ? { ':token': token } : {}),
              ...unreleased?.values,
            },
          },
        };
      }),
    );
    return ifConditionFails(
      write.then(() => 'claimed' as const),
      refusedOrBusy('taken' as const),
    );
  }

  /**
   * Hands an upload the send `from.usedBy` holds over to the holder `to` (UpdateItem), on the
   * condition that the attempt `from.token` claimed it last: no other attempt of that send (a retry
   * with the same clientMessageId) claimed it since, and so none may store a message with it.
   * Whether it was handed over.
   */
  async handOver(
    upload: Pick<UploadRecord, 'chatId' | 'uploadId'>,
    from: { readonly usedBy: string; readonly token: string },
    to: string,
  ): Promise<boolean> {
    return ifConditionFails(
      this.table
        .update({
          Key: keys.upload(upload.chatId, upload.uploadId),
          UpdateExpression: 'SET usedBy = :to REMOVE claimToken',
          ConditionExpression: '#status = :used AND usedBy = :from AND claimToken = :token',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':used': 'used',
            ':from': from.usedBy,
            ':token': from.token,
            ':to': to,
          },
        })
        .then(() => true),
      () => false,
    );
  }

  /**
   * Marks the uploads of a deleted message `deleted` (an UpdateItem each, in parallel; one already
   * gone is left alone): no claim can take them again (`claimable`), nor a release give them back.
   * No TTL yet: a record goes only after its object (`expireDeleted`, once DeleteObjects succeeded),
   * so one whose delete failed still names its object to a retry and to the chat's retention.
   * The ids a full chat refused to mark (`deleted` is longer than `used`): still `used`, they are
   * deleted outright once their objects are gone (`forgetDeleted`).
   */
  async markDeleted(chatId: string, uploadIds: readonly string[]): Promise<string[]> {
    const unmarked: string[] = [];
    await Promise.all(
      uploadIds.map((uploadId) =>
        ifConditionFails(
          this.table.update({
            Key: keys.upload(chatId, uploadId),
            UpdateExpression: 'SET #status = :deleted',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':deleted': 'deleted' },
          }),
          () => undefined,
        ).catch((error: unknown) => {
          if (!isChatFull(error)) throw error;
          unmarked.push(uploadId);
        }),
      ),
    );
    return unmarked;
  }

  /**
   * Deletes the records of a deleted message's uploads whose objects are gone, when a full chat
   * refuses their `deleted` mark or their TTL (each adds to the record): a DeleteItem each, `used`
   * or `deleted` and without a TTL (one the chat's retention expires is left to it).
   */
  async forgetDeleted(chatId: string, uploadIds: readonly string[]): Promise<void> {
    await Promise.all(
      uploadIds.map((uploadId) =>
        ifConditionFails(
          this.table.delete({
            Key: keys.upload(chatId, uploadId),
            ConditionExpression: '#status IN (:used, :deleted) AND attribute_not_exists(#ttl)',
            ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':used': 'used', ':deleted': 'deleted' },
          }),
          () => undefined,
        ),
      ),
    );
  }

  /**
   * Gives the `deleted` uploads whose objects are gone their TTL, `UPLOAD_TTL_SECONDS` after `at`
   * (an UpdateItem each, in parallel): well after their upload URL and any object PUT through it
   * since (tagged pending: the lifecycle rule removes it within a day). One gone, not `deleted`, or
   * with a TTL already (the chat's retention: the deletion time, sooner) is left alone. One a full
   * chat refuses its TTL is deleted outright (`forgetDeleted`).
   */
  async expireDeleted(chatId: string, uploadIds: readonly string[], at: Date): Promise<void> {
    const expires = Math.floor(at.getTime() / 1000) + UPLOAD_TTL_SECONDS;
    await Promise.all(
      uploadIds.map((uploadId) =>
        ifConditionFails(
          this.table.update({
            Key: keys.upload(chatId, uploadId),
            UpdateExpression: 'SET #ttl = :ttl',
            ConditionExpression: '#status = :deleted AND attribute_not_exists(#ttl)',
            ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':deleted': 'deleted', ':ttl': expires },
          }),
          () => undefined,
        ).catch((error: unknown) => {
          if (!isChatFull(error)) throw error;
          return this.forgetDeleted(chatId, [uploadId]);
        }),
      ),
    );
  }

  /**
   * Gives uploads back (used → pending) that the send `usedBy` holds but no message carries (a
   * cancelled or failed scheduled message, the pending tag put back): each a conditional UpdateItem
   * on still being held by `usedBy`, so one that is gone or another send's is left alone. Pending
   * again, it expires through TTL `UPLOAD_TTL_SECONDS` after `at` unless a send claims it first. Its
   * `releases` count goes up: a send that read it before cannot claim it (`claim`). One a deleted
   * chat's retention reached (`notRetained`) is left alone too: it keeps the deletion's TTL (pending
   * again, it would outlive the deletion by days). How many were given back.
   */
  async release(chatId: string, uploadIds: readonly string[], usedBy: string, at: Date): Promise<number> {
    const expires = Math.floor(at.getTime() / 1000) + UPLOAD_TTL_SECONDS;
    const retainedBy = Math.floor(at.getTime() / 1000) + RETENTION_MARGIN_SECONDS;
    const released = await Promise.all(
      uploadIds.map((uploadId) =>
        ifConditionFails(
          this.table
            .update({
              Key: keys.upload(chatId, uploadId),
              UpdateExpression: 'SET #status = :pending, usedBy = :none, #ttl = :ttl ADD #releases :one',
              ConditionExpression: `#status = :used AND usedBy = :by AND (${notRetained})`,
              ExpressionAttributeNames: {
                '#status': 'status',
                '#ttl': TTL_ATTRIBUTE,
                '#releases': 'releases',
              },
              ExpressionAttributeValues: {
                ':pending': 'pending',
                ':used': 'used',
                ':by': usedBy,
                ':none': null,
                ':ttl': expires,
                ':retainedBy': retainedBy,
                ':one': 1,
              },
            })
            .then(() => true),
          () => false,
        ),
      ),
    );
    return released.filter(Boolean).length;
  }
}
