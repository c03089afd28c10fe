/**
 * docs/protocol.md's examples against the contract (lambdas/contract): every ```jsonl line (and
 * every frame of the events table) is a request, an ack, an event, an error, a pong or an object, and
 * holds only fields the contract declares, each with a value the contract accepts. Requests must
 * parse as the server parses them. Acks, events and objects are shown as they come back: complete,
 * with every field the server always sends (a Message's `ver`, `attachments`, `reactions`; a Chat's
 * `memberCount`, `lastVer`, its members' `lastDeliveredSeq`; a ChatSummary's `lastVer`,
 * `mutedUntil`, …), and consistent: a message's `ver` is above its `seq` and a chat's `lastVer`
 * above its `lastSeq` (creating the chat takes version 1, every message one more), a chat of up to
 * 200 members lists them all, and one version of a chat is one change across all the examples.
 * Every event has an example frame. The examples' times (schedules, a mute's `until`):
 * doc-example-times.test.ts.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ErrorFrame } from '../../lambdas/contract/errors.ts';
import {
  Chat,
  ChatSummary,
  CONTRACT_ACTIONS,
  EVENTS,
  Message,
  Scheduled,
} from '../../lambdas/contract/index.ts';
import { exampleFrames, exampleLines, type Json, objectsIn } from '../support/protocol-examples.ts';

const lines = exampleLines;
const frames = exampleFrames;

type Schema = v.GenericSchema & {
  readonly type: string;
  readonly entries?: Record<string, Schema>;
  readonly item?: Schema;
  readonly wrapped?: Schema;
  readonly options?: readonly Schema[];
};

/** Fields of `value` the schema does not declare, and values it refuses (missing fields allowed). */
function problems(schema: Schema, value: unknown, path: string): string[] {
  if (value === null || value === undefined) return v.is(schema, value) ? [] : [`${path}: ${String(value)}`];
  if (schema.wrapped) return problems(schema.wrapped, value, path);
  if (schema.type === 'intersect' && schema.options) {
    const entries = Object.assign({}, ...schema.options.map((o) => o.entries));
    return problems({ ...schema, type: 'object', entries, options: undefined } as Schema, value, path);
  }
  if (schema.entries) {
    if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: not an object`];
    return Object.entries(value).flatMap(([key, field]) => {
      const entry = schema.entries?.[key];
      return entry ? problems(entry, field, `${path}.${key}`) : [`${path}.${key}: not in the contract`];
    });
  }
  if (schema.item) {
    if (!Array.isArray(value)) return [`${path}: not an array`];
    return value.flatMap((item, i) => problems(schema.item as Schema, item, `${path}[${i}]`));
  }
  if (schema.type === 'union' && schema.options) {
    const each = schema.options.map((option) => problems(option, value, path));
    return each.find((p) => p.length === 0) ?? each[0] ?? [];
  }
  return v.is(schema, value) ? [] : [`${path}: ${JSON.stringify(value)} is refused`];
}

const withFrame = (entries: v.ObjectEntries) =>
  v.object({
    type: v.string(),
    action: v.string(),
    requestId: v.nullable(v.string()),
    ...entries,
  }) as unknown as Schema;

/** The fields the schema requires that `value` leaves out (everything the server always sends). */
function missing(schema: Schema, value: unknown, path: string): string[] {
  const parsed = v.safeParse(schema, value);
  return (parsed.issues ?? [])
    .filter((issue) => issue.input === undefined)
    .map((issue) => `${path}.${v.getDotPath(issue) ?? ''}: missing`);
}

/** What the example line is, and what is wrong with it. */
function check(line: string): { kind: string; problems: string[] } {
  const frame = JSON.parse(line) as Record<string, unknown>;
  const action = CONTRACT_ACTIONS[frame.action as keyof typeof CONTRACT_ACTIONS];
  if (frame.type === undefined && typeof frame.action === 'string') {
    if (!action) return { kind: 'request', problems: [`unknown action ${frame.action}`] };
    const { action: _, requestId: __, ...fields } = frame;
    const parsed = v.safeParse(action.request, fields);
    const unknown = problems(action.request as unknown as Schema, fields, frame.action as string);
    return {
      kind: `request ${action.name}`,
      problems: [...(parsed.success ? [] : parsed.issues.map((i) => i.message)), ...unknown],
    };
  }
  if (frame.type === 'ack' || frame.type === 'pong') {
    if (!action) return { kind: 'ack', problems: [`unknown action ${String(frame.action)}`] };
    const expected = action.reply === 'pong' ? 'pong' : 'ack';
    const kind = frame.type === expected ? [] : [`${action.name} answers ${expected}, not ${frame.type}`];
    const schema = withFrame(action.ack.entries);
    return {
      kind: `${frame.type} ${action.name}`,
      problems: [...kind, ...problems(schema, frame, action.name), ...missing(schema, frame, action.name)],
    };
  }
  if (frame.type === 'error')
    return { kind: 'error', problems: problems(ErrorFrame as unknown as Schema, frame, 'error') };
  const event = EVENTS[frame.type as keyof typeof EVENTS];
  if (event)
    return {
      kind: `event ${frame.type}`,
      problems: [
        ...problems(event as unknown as Schema, frame, String(frame.type)),
        ...missing(event as unknown as Schema, frame, String(frame.type)),
      ],
    };
  if (frame.type !== undefined) return { kind: 'frame', problems: [`unknown type ${String(frame.type)}`] };
  const object =
    'scheduledId' in frame
      ? Scheduled
      : 'unreadCount' in frame
        ? ChatSummary
        : 'kind' in frame
          ? Chat
          : Message;
  return {
    kind: 'object',
    problems: [
      ...problems(object as unknown as Schema, frame, 'object'),
      ...missing(object as unknown as Schema, frame, 'object'),
    ],
  };
}

/** What a frame says that cannot be: a message version at or below its seq, a chat's below its last. */
function inconsistencies(frame: Json): string[] {
  return objectsIn(frame).flatMap((o) => {
    const found: string[] = [];
    if (typeof o.seq === 'number' && typeof o.ver === 'number' && o.ver <= o.seq)
      found.push(`${String(o.messageId ?? o.type)}: ver ${o.ver} is not above seq ${o.seq}`);
    if (typeof o.lastSeq === 'number' && typeof o.lastVer === 'number' && o.lastVer <= o.lastSeq)
      found.push(`${String(o.chatId)}: lastVer ${o.lastVer} is not above lastSeq ${o.lastSeq}`);
    if (Array.isArray(o.members) && typeof o.memberCount === 'number' && o.memberCount <= 200)
      if (o.members.length !== o.memberCount)
        found.push(`${String(o.chatId)}: memberCount ${o.memberCount}, ${o.members.length} members listed`);
    return found;
  });
}

/**
 * What each example says a version of a chat was: the message it changed (and, for a Message, its
 * state then), or a membership change. One version is one change, so two examples that give the
 * same version of a chat different changes contradict each other.
 */
function versionClaims(frame: Json): { key: string; change: string; state?: string }[] {
  const claims = objectsIn(frame).flatMap((o) => {
    if (typeof o.chatId !== 'string' || typeof o.ver !== 'number') return [];
    const key = `${o.chatId} ver ${o.ver}`;
    if (typeof o.messageId !== 'string') return [{ key, change: String(o.type ?? 'members') }];
    const state =
      'text' in o
        ? JSON.stringify([o.text, o.deleted, o.editedAt, (o.reactions as unknown[] | undefined)?.length])
        : undefined;
    return [{ key, change: o.messageId, ...(state === undefined ? {} : { state }) }];
  });
  return claims;
}

/** The versions of a chat that two examples give different changes. */
function contradictions(examples: readonly Json[]): string[] {
  const seen = new Map<string, { change: string; state?: string }>();
  const found: string[] = [];
  for (const claim of examples.flatMap(versionClaims)) {
    const before = seen.get(claim.key);
    if (!before) seen.set(claim.key, claim);
    else if (before.change !== claim.change || (before.state && claim.state && before.state !== claim.state))
      found.push(
        `${claim.key}: ${before.change} ${before.state ?? ''}/ ${claim.change} ${claim.state ?? ''}`,
      );
    else if (!before.state && claim.state) seen.set(claim.key, claim);
  }
  return found;
}

describe('docs/protocol.md examples', () => {
  it('has examples', () => {
    expect(lines.length).toBeGreaterThan(50);
  });

  it.each(lines.map((line) => [line.slice(0, 70), line]))('%s…', (_, line) => {
    const { problems: found } = check(line);
    expect(found).toEqual([]);
  });

  it.each(lines.map((line) => [line.slice(0, 70), line]))('%s… is consistent', (_, line) => {
    expect(inconsistencies(JSON.parse(line) as Json)).toEqual([]);
  });

  it('gives each version of a chat one change across all the examples', () => {
    expect(new Set(frames.flatMap(versionClaims).map((c) => c.key)).size).toBeGreaterThan(5);
    expect(contradictions(frames)).toEqual([]);
  });

  it('has an example frame of every event, with every field the server sends', () => {
    const events = frames.filter((f) => typeof f.type === 'string' && f.type in EVENTS);
    expect(new Set(events.map((f) => f.type))).toEqual(new Set(Object.keys(EVENTS)));
    for (const frame of events) {
      const parsed = v.safeParse(EVENTS[frame.type as keyof typeof EVENTS], frame);
      expect(parsed.issues?.map((i) => `${v.getDotPath(i)}: ${i.message}`) ?? [], String(frame.type)).toEqual(
        [],
      );
    }
  });

  it('catches an invented field, a mistyped value and an unknown action', () => {
    const ack = '{"type":"ack","action":"markDelivered","requestId":"x","chatId":"c","lastDeliveredSeq":3}';
    expect(check(ack).problems).toEqual([]);
    expect(check(ack.replace('"chatId"', '"chat"')).problems).toEqual([
      'markDelivered.chat: not in the contract',
      'markDelivered.chatId: missing',
    ]);
    expect(check(ack.replace(':3', ':"3"')).problems).toEqual([
      'markDelivered.lastDeliveredSeq: "3" is refused',
    ]);
    expect(check('{"action":"sendMesage","requestId":"x"}').problems).toEqual(['unknown action sendMesage']);
    expect(check('{"type":"message.created","message":{"seq":1,"colour":"red"}}').problems).toContain(
      'message.created.message.colour: not in the contract',
    );
  });

  it('catches a field the server always sends left out, and a version that cannot be', () => {
    const ack = '{"type":"ack","action":"markDelivered","requestId":"x","chatId":"c","lastDeliveredSeq":3}';
    expect(check(ack.replace(',"lastDeliveredSeq":3', '')).problems).toEqual([
      'markDelivered.lastDeliveredSeq: missing',
    ]);
    const message = frames.find((f) => f.type === 'message.created') as Json;
    const { ver: _, ...withoutVer } = message.message as Json;
    expect(check(JSON.stringify({ ...message, message: withoutVer })).problems).toEqual([
      'message.created.message.ver: missing',
    ]);
    const created = { chatId: 'c', messageId: 'm3', ver: 5, text: 'at 8', deleted: false, editedAt: null };
    expect(contradictions([created, { ...created, text: 'at 9', editedAt: 't' }])).toHaveLength(1);
    expect(contradictions([created, { type: 'member.joined', chatId: 'c', ver: 5 }])).toHaveLength(1);
    expect(
      contradictions([created, { type: 'message.reacted', chatId: 'c', messageId: 'm3', ver: 5 }]),
    ).toEqual([]);
    expect(inconsistencies({ message: { messageId: 'm4', seq: 4, ver: 0 } })).toEqual([
      'm4: ver 0 is not above seq 4',
    ]);
    expect(
      inconsistencies({ chatId: 'c', lastSeq: 3, lastVer: 3, memberCount: 3, members: [{}, {}] }),
    ).toEqual(['c: lastVer 3 is not above lastSeq 3', 'c: memberCount 3, 2 members listed']);
  });
});
