/**
 * How an action is declared: its request fields, what its ack carries and which events it causes.
 * `defineAction` is the only way to add an action to the contract; the route table, the handlers,
 * the typed client and the AsyncAPI document all read these declarations.
 */
import * as v from 'valibot';
import type { EventType } from './events.ts';

/** How the server answers: an `ack`, a `pong`, or an `ack` only when the frame had a requestId. */
export type ReplyKind = 'ack' | 'pong' | 'ack-if-requested';

export interface ActionDef<
  N extends string = string,
  Req extends v.GenericSchema = v.GenericSchema,
  Ack extends v.ObjectEntries = v.ObjectEntries,
> {
  readonly name: N;
  readonly summary: string;
  /** The action's own fields (beside `action` and `requestId`). Unknown fields are ignored. */
  readonly request: Req;
  /** What the reply carries beside `type`, `action` and `requestId`. */
  readonly ack: v.ObjectSchema<Ack, undefined>;
  readonly reply: ReplyKind;
  /** Events the action may cause. */
  readonly events: readonly EventType[];
  /** Only administrators may call it. */
  readonly adminOnly?: boolean;
}

/* @__NO_SIDE_EFFECTS__ */
export function defineAction<
  const N extends string,
  Req extends v.GenericSchema,
  Ack extends v.ObjectEntries,
>(
  name: N,
  spec: {
    summary: string;
    request: Req;
    ack: Ack;
    events?: readonly EventType[];
    reply?: ReplyKind;
    adminOnly?: boolean;
  },
): ActionDef<N, Req, Ack> {
  return {
    name,
    summary: spec.summary,
    request: spec.request,
    ack: v.object(spec.ack),
    reply: spec.reply ?? 'ack',
    events: spec.events ?? [],
    ...(spec.adminOnly ? { adminOnly: true } : {}),
  };
}

/** An action without fields. */
export const noFields = v.object({});

export type RequestOf<A extends ActionDef> = v.InferOutput<A['request']>;
export type AckOf<A extends ActionDef> = v.InferOutput<A['ack']>;
/** The fields a client sends (before defaults and transforms). */
export type RequestInputOf<A extends ActionDef> = v.InferInput<A['request']>;
