/**
 * From a validation issue to the sentence a client reads: the `{field}` placeholder of the fields'
 * messages (lambdas/contract/fields.ts) filled with the path of the field that failed. Its own module,
 * so that the validation step of every handler (parse.ts) does not pull in the field declarations.
 */
import type * as v from 'valibot';

/** Placeholder for the field path in error sentences. */
export const FIELD = '{field}';

export const isAbsent = (input: unknown): boolean => input === undefined || input === null;

/** The path of an issue as clients write it: `userIds[3]`, `attachments[0].uploadId`. */
export function issuePath(issue: v.BaseIssue<unknown>): string {
  let out = '';
  for (const item of issue.path ?? []) {
    const key = item.key;
    out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** The sentence of an issue, with the field's path filled in. */
export function issueSentence(issue: v.BaseIssue<unknown>): string {
  const path = issuePath(issue);
  const label = path === '' ? 'The frame' : `"${path}"`;
  // A required key that is missing: the object schema reports it with its own wording.
  if (
    issue.kind === 'schema' &&
    (issue.type === 'object' || issue.type === 'loose_object') &&
    path !== '' &&
    isAbsent(issue.input)
  ) {
    return `${label} is required.`;
  }
  return issue.message.replaceAll(FIELD, label);
}
