/**
 * Generates the AsyncAPI 3.0 document of the WebSocket API from the contract (lambdas/contract):
 * one operation per action (the client's request, answered by the ack or an error frame) and one
 * per event, with JSON Schemas converted from the valibot schemas. `npm run asyncapi` writes it to
 * docs/asyncapi.yaml; tests check that the file is current, that @asyncapi/parser accepts it and that
 * frames the contract accepts validate against its schemas (test/contract/asyncapi*.test.ts).
 */
import {
  type ConversionConfig,
  type JsonSchema,
  toJsonSchema,
  toJsonSchemaDefs,
} from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { stringify } from 'yaml';
import type { ActionDef } from '../../lambdas/contract/action.ts';
import { ErrorFrame } from '../../lambdas/contract/errors.ts';
import { ACTION_LIST, EVENTS } from '../../lambdas/contract/index.ts';
import { LIMITS } from '../../lambdas/contract/limits.ts';
import * as objects from '../../lambdas/contract/objects.ts';

/** Shared objects become `#/components/schemas/<Name>` references. */
const SHARED = objects.NAMED_OBJECTS;

const PATTERNS: Record<string, string> = {
  id_chars: '^[^#\\u0000-\\u001f\\u007f\\ufffe\\uffff]*$',
  client_id_chars: '^[^\\u0000-\\u001f\\u007f\\ufffe\\uffff]*$',
  clean_text: '^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f]*$',
  clean_name: '^[^\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]*$',
};
/** Rules JSON Schema cannot state; the field descriptions and docs/protocol.md say them. */
const UNSTATED = new Set([
  'not_blank',
  'well_formed',
  'id_trimmed',
  'not_reserved',
  'emoji',
  'check',
  'partial_check',
  'text_or_empty',
]);

const overrideAction: ConversionConfig['overrideAction'] = ({ valibotAction, jsonSchema }) => {
  const action = valibotAction as { type: string; requirement?: unknown };
  if (action.type === 'max_chars') return { ...jsonSchema, maxLength: action.requirement as number };
  if (action.type === 'content_type') return { ...jsonSchema, enum: [...(action.requirement as string[])] };
  const pattern = PATTERNS[action.type];
  if (pattern) return { ...jsonSchema, pattern };
  if (UNSTATED.has(action.type)) return jsonSchema;
  return undefined;
};

const overrideRef: ConversionConfig['overrideRef'] = ({ referenceId }) =>
  `#/components/schemas/${referenceId}`;

/** A payload's schema; a shared object in it is a `$ref` to components.schemas (see sharedSchemas). */
function jsonSchema(schema: v.GenericSchema, typeMode: 'input' | 'output'): JsonSchema {
  const out = toJsonSchema(schema, {
    typeMode,
    errorMode: 'ignore',
    definitions: SHARED,
    overrideAction,
    overrideRef,
  }) as Record<string, unknown>;
  delete out.$schema;
  delete out.$defs;
  return out as JsonSchema;
}

/**
 * components.schemas: each shared object's own definition (its fields; the shared objects inside it
 * stay references). Converting the object itself with toJsonSchema would give only a `$ref` to itself.
 */
function sharedSchemas(): Record<string, JsonSchema> {
  return toJsonSchemaDefs(SHARED, {
    typeMode: 'output',
    errorMode: 'ignore',
    overrideAction,
    overrideRef,
  });
}

const ref = (path: string) => ({ $ref: path });

function requestPayload(def: ActionDef): JsonSchema {
  const fields = jsonSchema(def.request, 'input') as Record<string, unknown>;
  const envelope = {
    type: 'object',
    properties: {
      action: { const: def.name },
      // As lambdas/shared/frames.ts checks it: any other requestId is BAD_REQUEST (null: none).
      requestId: {
        type: ['string', 'null'],
        maxLength: LIMITS.idMaxChars,
        description: 'Echoed in the reply so the client can match it: any string of at most 64 characters.',
      },
    },
    required: ['action'],
  };
  return { allOf: [envelope, fields] } as JsonSchema;
}

function replyPayload(def: ActionDef): JsonSchema {
  const ack = jsonSchema(def.ack, 'output') as { properties?: object; required?: string[] };
  const type = def.reply === 'pong' ? 'pong' : 'ack';
  return {
    type: 'object',
    properties: {
      type: { const: type },
      action: { const: def.name },
      requestId: { type: ['string', 'null'] },
      ...ack.properties,
    },
    required: ['type', 'action', 'requestId', ...(ack.required ?? [])],
  } as JsonSchema;
}

export function generateAsyncApi(): Record<string, unknown> {
  const messages: Record<string, unknown> = {
    error: {
      name: 'error',
      title: 'Error',
      summary: 'A request failed (see the codes).',
      payload: jsonSchema(ErrorFrame, 'output'),
    },
  };
  const operations: Record<string, unknown> = {};
  const channelMessages: Record<string, unknown> = { error: ref('#/components/messages/error') };
  for (const def of ACTION_LIST) {
    const request = `${def.name}.request`;
    const replyName = `${def.name}.${def.reply === 'pong' ? 'pong' : 'ack'}`;
    messages[request] = {
      name: def.name,
      title: `${def.name} request`,
      summary: def.summary,
      payload: requestPayload(def),
    };
    messages[replyName] = {
      name: replyName,
      title: `${def.name} reply`,
      summary:
        def.reply === 'ack-if-requested'
          ? 'Sent only when the request had a requestId.'
          : `Reply to ${def.name}.`,
      payload: replyPayload(def),
    };
    channelMessages[request] = ref(`#/components/messages/${request}`);
    channelMessages[replyName] = ref(`#/components/messages/${replyName}`);
    operations[def.name] = {
      action: 'receive',
      channel: ref('#/channels/chat'),
      summary: def.summary,
      ...(def.adminOnly ? { description: 'Administrators only; FORBIDDEN for everyone else.' } : {}),
      messages: [ref(`#/channels/chat/messages/${request}`)],
      reply: {
        channel: ref('#/channels/chat'),
        messages: [ref(`#/channels/chat/messages/${replyName}`), ref('#/channels/chat/messages/error')],
      },
    };
  }
  for (const [type, schema] of Object.entries(EVENTS)) {
    const summary = (schema.pipe.find((a) => a.type === 'description') as { description?: string })
      .description;
    messages[type] = { name: type, title: type, summary, payload: jsonSchema(schema, 'output') };
    channelMessages[type] = ref(`#/components/messages/${type}`);
    operations[`event.${type}`] = {
      action: 'send',
      channel: ref('#/channels/chat'),
      summary,
      messages: [ref(`#/channels/chat/messages/${type}`)],
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Serverless chat WebSocket API',
      version: '2.0.0',
      description:
        'Generated from lambdas/contract by `npm run asyncapi`; do not edit by hand. ' +
        'Rules and examples: docs/protocol.md. Every message is one JSON object: a request of at most ' +
        '32 KB in one frame (64 KB in frames of 32 KB), at most 128 KB from the server.',
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: 'localhost:3001',
        protocol: 'ws',
        pathname: '/',
        description: '`npm run dev`',
      },
      aws: {
        host: '{apiId}.execute-api.{region}.amazonaws.com',
        protocol: 'wss',
        pathname: '/{stage}',
        description: 'A deployed stack (see docs/deploy.md).',
        variables: {
          apiId: { description: 'The WebSocket API id (stack output).' },
          region: { default: 'eu-west-1' },
          stage: { default: 'prod' },
        },
      },
    },
    channels: {
      chat: {
        address: '/',
        title: 'The chat socket',
        description: 'One socket per device: requests, replies and events all travel on it.',
        messages: channelMessages,
        bindings: {
          ws: {
            query: {
              type: 'object',
              properties: {
                token: {
                  type: 'string',
                  description: `The JWT (sub = user id: 1–${LIMITS.idMaxChars} characters, at most ${LIMITS.userIdMaxBytes} bytes of UTF-8).`,
                },
              },
              required: ['token'],
            },
          },
        },
      },
    },
    operations,
    components: { schemas: sharedSchemas(), messages },
  };
}

export function asyncApiYaml(): string {
  return stringify(generateAsyncApi(), { lineWidth: 0, aliasDuplicateObjects: false });
}
