/** What the hostile-frame cases refer to, and how a case is written. */
import type { Message } from '../../support/chat.ts';
import type { FrameSpec, HostileCase } from './harness.ts';

/** What the cases refer to: alice's own chats and messages, and others' she must not touch. */
export interface World {
  /** alice: the attacker (her user id). */
  alice: string;
  /** carol: a member of the group and of bc (her user id). */
  carol: string;
  /** alice ↔ bob (alice is a member). */
  ab: string;
  /** bob ↔ carol (alice is not a member). */
  bc: string;
  /** group owned by bob, alice and carol members. */
  g: string;
  aliceMsgInAb: Message;
  bobMsgInAb: Message;
  bobMsgInBc: Message;
  bobMsgInG: Message;
}

export const nest = (depth: number, open: string, close: string, inner = '1') =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
export const EMOJI = '😀'; // one code point, two UTF-16 units
export const SKIN = '👍🏽'; // two code points

export type { FrameSpec };

/** A case of the main hostile-frame suite (hostile-frames.test.ts). */
export type Case = HostileCase<World>;

export const send = (fields: Record<string, unknown>) => ({ action: 'sendMessage', ...fields });
