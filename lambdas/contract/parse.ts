/**
 * Validation of a frame's fields against an action's request schema: the output is typed, and the
 * first problem becomes a `BAD_REQUEST` whose sentence names the field.
 */
import * as v from 'valibot';
import { badRequest } from '../shared/errors.ts';
import type { ActionDef, RequestOf } from './action.ts';
import { issueSentence } from './issues.ts';

export function parseRequest<A extends ActionDef>(def: A, fields: unknown): RequestOf<A> {
  const result = v.safeParse(def.request, fields, { abortEarly: true });
  if (result.success) return result.output as RequestOf<A>;
  throw badRequest(issueSentence(result.issues[0]));
}
