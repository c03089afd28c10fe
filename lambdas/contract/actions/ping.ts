/** `ping`, alone: its handler imports this module only (the smallest bundle of all). */
import * as v from 'valibot';
import { defineAction } from '../action.ts';

export const ping = defineAction('ping', {
  summary: 'Keep-alive: answered with {"type":"pong"}.',
  request: v.object({}),
  ack: {},
  reply: 'pong',
});
