/**
 * docs/asyncapi.yaml's schemas say what the server sends: every shared object in components.schemas
 * is its own definition (not a reference to itself), every message payload compiles as JSON Schema,
 * and a frame the contract accepts, for every ack and event, validates against its payload (so each
 * shared object is checked field by field), as do docs/protocol.md's event examples, while a
 * mistyped field inside a shared object does not. Requests too: every request example of
 * docs/protocol.md validates against its action's request payload (its error examples against the
 * error frame's), and a requestId the server refuses (lambdas/shared/frames.ts) does not.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ACTION_LIST, EVENTS, NAMED_OBJECTS } from '../../lambdas/contract/index.ts';

const DOC = parse(readFileSync(resolve(import.meta.dirname, '../../docs/asyncapi.yaml'), 'utf8')) as {
  components: { schemas: Record<string, Record<string, unknown>>; messages: Record<string, unknown> };
};
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema({ $id: 'asyncapi', components: DOC.components });
const payload = (message: string) => {
  const validate = ajv.getSchema(`asyncapi#/components/messages/${message}/payload`);
  if (!validate) throw new Error(`no message ${message} in docs/asyncapi.yaml`);
  return validate;
};
const errors = (message: string, frame: unknown) => {
  const validate = payload(message);
  return validate(frame) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
};

type Schema = {
  readonly type: string;
  readonly entries?: Record<string, Schema>;
  readonly wrapped?: Schema;
  readonly item?: Schema;
  readonly value?: unknown;
  readonly literal?: unknown;
  readonly options?: readonly unknown[];
};
const NAMES = new Map<unknown, string>(Object.entries(NAMED_OBJECTS).map(([n, s]) => [s, n]));

/**
 * A value of the schema with every field (optional ones too) and one item per array (non-null);
 * notes the objects met.
 */
function sample(schema: Schema, met: Set<string>): unknown {
  const name = NAMES.get(schema);
  if (name) met.add(name);
  if (schema.entries)
    return Object.fromEntries(Object.entries(schema.entries).map(([k, s]) => [k, sample(s, met)]));
  switch (schema.type) {
    case 'nullable':
    case 'optional':
      return sample(schema.wrapped as Schema, met);
    case 'array':
      return [sample(schema.item as Schema, met)];
    case 'record':
      return { key: sample(schema.value as Schema, met) };
    case 'string':
      return 's';
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'literal':
      return schema.literal;
    case 'picklist':
      return schema.options?.[0];
  }
  throw new Error(`no sample for a ${schema.type} schema`);
}

const met = new Set<string>();
const frames: [string, unknown][] = [
  ...ACTION_LIST.map((def): [string, unknown] => {
    const type = def.reply === 'pong' ? 'pong' : 'ack';
    const fields = sample(def.ack as unknown as Schema, met) as object;
    return [`${def.name}.${type}`, { type, action: def.name, requestId: 'r1', ...fields }];
  }),
  ...Object.entries(EVENTS).map(([type, s]): [string, unknown] => [type, sample(s as Schema, met)]),
];

/** A message.created frame as the server sends it (the protocol.md example with the v2 fields). */
const created = {
  type: 'message.created',
  message: {
    chatId: 'c_Lq3Xn0TzVb8eKp1a',
    messageId: 'm3_Zx8vQ2LpA0bN',
    seq: 3,
    ver: 7,
    senderId: 'alice',
    text: 'See you at 8',
    replyTo: null,
    clientMessageId: 'a1b2c3',
    createdAt: '2026-11-22T09:15:02.113Z',
    editedAt: null,
    deleted: false,
    attachments: [
      {
        attachmentId: 'u_9fK2mQ7xLp3Ra',
        kind: 'image',
        contentType: 'image/png',
        size: 48213,
        fileName: 'beach.png',
        url: 'https://media.example.com/c_Lq3Xn0TzVb8eKp1a/u_9fK2mQ7xLp3Ra?X-Amz-Signature=…',
        urlExpiresAt: '2026-11-22T10:15:02.000Z',
      },
    ],
    reactions: [{ emoji: '👍', count: 1, userIds: ['bob'] }],
  },
};

describe('docs/asyncapi.yaml schemas', () => {
  it.each(Object.keys(NAMED_OBJECTS))('components.schemas.%s defines the object', (name) => {
    const schema = DOC.components.schemas[name];
    expect(schema?.$ref).toBeUndefined();
    expect(schema?.type).toBe('object');
    const entries: Record<string, Schema> = NAMED_OBJECTS[name as keyof typeof NAMED_OBJECTS].entries;
    const fields = Object.keys(entries);
    expect(Object.keys((schema?.properties ?? {}) as object)).toEqual(fields);
    // Every field is required but those added to the v1 wire as optional (a Chat's `peerId`).
    expect(schema?.required).toEqual(fields.filter((f) => entries[f]?.type !== 'optional'));
  });

  it("a Chat or ChatSummary without peerId (the v1 wire's, and a group's) validates", () => {
    for (const message of ['getChat.ack', 'listChats.ack']) {
      const frame = frames.find(([m]) => m === message)?.[1] as { chat?: object; chats?: object[] };
      expect(errors(message, frame)).toEqual([]);
      const withoutPeer = ({ peerId, ...rest }: { peerId?: unknown }) => {
        expect(peerId).toBe('s');
        return rest;
      };
      const older = frame.chat
        ? { ...frame, chat: withoutPeer(frame.chat) }
        : { ...frame, chats: (frame.chats ?? []).map(withoutPeer) };
      expect(errors(message, older)).toEqual([]);
    }
  });

  it('compiles every message payload', () => {
    for (const message of Object.keys(DOC.components.messages))
      expect(payload(message)).toBeTypeOf('function');
  });

  it('the samples are frames the contract accepts, and meet every shared object', () => {
    for (const [message, frame] of frames) {
      const def = ACTION_LIST.find((d) => message === `${d.name}.${d.reply === 'pong' ? 'pong' : 'ack'}`);
      const schema = EVENTS[message as keyof typeof EVENTS] ?? (def && v.looseObject(def.ack.entries));
      expect(schema && v.safeParse(schema, frame).success, message).toBe(true);
    }
    expect([...met].sort()).toEqual(Object.keys(NAMED_OBJECTS).sort());
  });

  it.each(frames)('a %s frame validates', (message, frame) => {
    expect(errors(message, frame)).toEqual([]);
  });

  it("validates docs/protocol.md's event examples (complete frames, checked by doc-examples.test.ts)", () => {
    const protocol = readFileSync(resolve(import.meta.dirname, '../../docs/protocol.md'), 'utf8');
    const events = [...protocol.matchAll(/(?:^|\| `)(\{"type":"([a-z.]+)".*?\})(?:`|$)/gm)].filter(
      ([, , type]) => type && type in EVENTS,
    );
    expect(new Set(events.map(([, , type]) => type))).toEqual(new Set(Object.keys(EVENTS)));
    for (const [, line = '', type = ''] of events) expect(errors(type, JSON.parse(line)), line).toEqual([]);
  });

  it('a real message.created validates; a mistyped field of a shared object does not', () => {
    expect(v.safeParse(EVENTS['message.created'], created).success).toBe(true);
    expect(errors('message.created', created)).toEqual([]);
    const seq = { ...created, message: { ...created.message, seq: '3' } };
    expect(errors('message.created', seq)).toContain('/message/seq must be integer');
    const [attachment] = created.message.attachments;
    const size = {
      ...created,
      message: { ...created.message, attachments: [{ ...attachment, size: 'big' }] },
    };
    expect(errors('message.created', size)).toContain('/message/attachments/0/size must be integer');
    const { reactions: _, ...noReactions } = created.message;
    expect(errors('message.created', { ...created, message: noReactions })).toContain(
      "/message must have required property 'reactions'",
    );
  });

  it("validates docs/protocol.md's request and error examples; accepts and refuses the requestIds the server does", () => {
    const protocol = readFileSync(resolve(import.meta.dirname, '../../docs/protocol.md'), 'utf8');
    const requests = [...protocol.matchAll(/^(\{"action":"(\w+)".*\})$/gm)].map(
      ([, line = '', action = '']) => ({
        line,
        action,
      }),
    );
    expect(new Set(requests.map((r) => r.action)).size).toBeGreaterThan(20);
    for (const { line, action } of requests)
      expect(errors(`${action}.request`, JSON.parse(line)), line).toEqual([]);
    const refusals = [...protocol.matchAll(/^(\{"type":"error".*\})$/gm)].map(([, line = '']) => line);
    expect(refusals.length).toBeGreaterThan(0);
    for (const line of refusals) expect(errors('error', JSON.parse(line)), line).toEqual([]);
    const ping = { action: 'ping', requestId: 'r1' };
    expect(errors('ping.request', ping)).toEqual([]);
    expect(errors('ping.request', { ...ping, requestId: null })).toEqual([]);
    for (const requestId of ['', 'a#b', ' r ', 'tab\there', '😀'.repeat(64)])
      expect(errors('ping.request', { ...ping, requestId }), JSON.stringify(requestId)).toEqual([]);
    for (const requestId of ['x'.repeat(65), 7, {}])
      expect(errors('ping.request', { ...ping, requestId }), JSON.stringify(requestId)).not.toEqual([]);
  });
});
