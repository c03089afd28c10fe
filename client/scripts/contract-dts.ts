/**
 * The contract's wire types as a standalone declaration file, for the published package.
 *
 * The client's source imports its wire types from lambdas/contract (types inferred from valibot
 * schemas). A package cannot point outside itself, and TypeScript 7's native `tsc` has no compiler
 * API to inline those types, so the build writes them out from the schemas themselves: contract →
 * JSON Schema (@valibot/to-json-schema, as for docs/asyncapi.yaml) → TypeScript. The build test
 * proves the result equal to the contract's own types, action by action and event by event.
 */
import { type JsonSchema, toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { ERROR_CODES } from '../../lambdas/contract/errors.ts';
import { CONTRACT_ACTIONS, EVENTS } from '../../lambdas/contract/index.ts';
import * as objects from '../../lambdas/contract/objects.ts';

/** Objects that become named interfaces (what docs/asyncapi.yaml names too). */
const NAMED = objects.NAMED_OBJECTS;

/** Picklists exported as named unions. */
const UNIONS = {
  ChatKind: objects.ChatKind,
  AttachmentKind: objects.AttachmentKind,
  Platform: objects.Platform,
} satisfies Record<string, v.PicklistSchema<readonly string[], undefined>>;

type Schema = JsonSchema & Record<string, unknown>;

function schemaOf(schema: v.GenericSchema): Schema {
  return toJsonSchema(schema, { typeMode: 'input', errorMode: 'ignore', definitions: NAMED }) as Schema;
}

const key = (name: string): string => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name));

const doc = (s: Schema, pad: string): string =>
  typeof s.description === 'string' ? `${pad}/** ${s.description.replaceAll('*/', '*\\/')} */\n` : '';

/** The TypeScript type of a JSON Schema (the subset the contract produces). */
function print(s: Schema, pad = ''): string {
  if (typeof s.$ref === 'string') return s.$ref.split('/').pop() as string;
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((x) => JSON.stringify(x)).join(' | ');
  const any = (s.anyOf ?? s.oneOf) as Schema[] | undefined;
  if (any) return any.map((x) => paren(print(x, pad))).join(' | ');
  if (Array.isArray(s.allOf)) return (s.allOf as Schema[]).map((x) => paren(print(x, pad))).join(' & ');
  switch (s.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `${paren(print(s.items as Schema, pad))}[]`;
    case 'object':
      return printObject(s, pad);
  }
  throw new Error(`cannot print the JSON Schema ${JSON.stringify(s).slice(0, 200)}`);
}

function printObject(s: Schema, pad: string): string {
  const properties = Object.entries((s.properties ?? {}) as Record<string, Schema>);
  if (properties.length === 0 && s.additionalProperties && typeof s.additionalProperties === 'object') {
    return `Record<string, ${print(s.additionalProperties as Schema, pad)}>`;
  }
  if (properties.length === 0) return '{}';
  const required = new Set((s.required ?? []) as string[]);
  const inner = `${pad}  `;
  const lines = properties.map(
    ([name, p]) =>
      `${doc(p, inner)}${inner}${key(name)}${required.has(name) ? '' : '?'}: ${print(p, inner)};`,
  );
  return `{\n${lines.join('\n')}\n${pad}}`;
}

/** Parentheses where a union or intersection sits in an array, union or intersection (harmless elsewhere). */
const paren = (t: string): string => (t.includes(' | ') || t.includes(' & ') ? `(${t})` : t);

/** The declaration file (`contract.d.ts` of the package). */
export function contractDeclarations(): string {
  const out: string[] = [
    '// Generated from the wire contract (lambdas/contract) by client/scripts/contract-dts.ts. Do not edit.',
    '',
  ];
  for (const [name, schema] of Object.entries(NAMED)) {
    const s = schemaOf(schema);
    const body = (s.$defs as Record<string, Schema> | undefined)?.[name] ?? s;
    out.push(`export interface ${name} ${printObject(body, '')}`, '');
  }
  for (const [name, schema] of Object.entries(UNIONS)) {
    out.push(`export type ${name} = ${schema.options.map((o) => JSON.stringify(o)).join(' | ')};`);
  }
  out.push(`export type ErrorCode = ${ERROR_CODES.map((c) => JSON.stringify(c)).join(' | ')};`, '');
  out.push('/** Every action: the fields a client sends, and what its ack carries. */');
  out.push('export interface Actions {');
  for (const def of Object.values(CONTRACT_ACTIONS)) {
    out.push(`  /** ${def.summary} */`);
    out.push(`  ${key(def.name)}: {`);
    out.push(`    input: ${print(schemaOf(def.request), '    ')};`);
    out.push(`    ack: ${printObject(schemaOf(def.ack), '    ')};`);
    out.push('  };');
  }
  out.push('}', '');
  out.push('/** Every event the server pushes, as the whole frame (with `type`). */');
  out.push('export interface Events {');
  for (const [type, schema] of Object.entries(EVENTS)) {
    out.push(`  ${key(type)}: ${printObject(schemaOf(schema), '  ')};`);
  }
  out.push('}', '');
  out.push(
    'export type ActionName = keyof Actions;',
    "export type RequestInput<N extends ActionName> = Actions[N]['input'];",
    "export type Ack<N extends ActionName> = Actions[N]['ack'];",
    'export type EventType = keyof Events;',
    'export type EventFrame<T extends EventType = EventType> = Events[T];',
    '',
  );
  return out.join('\n');
}
