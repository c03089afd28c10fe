/**
 * Which stream records a consumer wants, as a Lambda event filtering pattern
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html). The same pattern is
 * the event source mapping's filter criteria on AWS (so the function is not even invoked for other
 * records), the local stream poller's filter, and the handler's own guard.
 *
 * Supported here (the subset this project uses): a list of exact values (any of them matches),
 * `{ prefix }`, `{ exists }` and `{ "anything-but": [...] }`, inside nested objects. Attribute values
 * are matched in the record's wire form, e.g. `dynamodb.NewImage.itemType.S`.
 */

/** One leaf condition of a pattern. */
export type FilterRule =
  | string
  | number
  | boolean
  | null
  | { readonly prefix: string }
  | { readonly exists: boolean }
  | { readonly 'anything-but': readonly (string | number)[] };

/** A pattern: nested objects whose leaves are lists of rules. */
export interface FilterPattern {
  readonly [key: string]: FilterPattern | readonly FilterRule[];
}

function ruleMatches(rule: FilterRule, value: unknown, present: boolean): boolean {
  if (rule === null || typeof rule !== 'object') return present && value === rule;
  if ('exists' in rule) return rule.exists === present;
  if (!present) return false;
  if ('prefix' in rule) return typeof value === 'string' && value.startsWith(rule.prefix);
  return !rule['anything-but'].some((excluded) => excluded === value);
}

/** Whether `record` (a stream record as JSON) matches `pattern`. */
export function matchesFilter(pattern: FilterPattern, record: unknown): boolean {
  const object = (record ?? {}) as Record<string, unknown>;
  for (const [key, expected] of Object.entries(pattern)) {
    const present = typeof object === 'object' && key in object;
    const value = present ? object[key] : undefined;
    if (Array.isArray(expected)) {
      const rules = expected as readonly FilterRule[];
      if (!rules.some((rule) => ruleMatches(rule, value, present))) return false;
    } else if (!present || !matchesFilter(expected as FilterPattern, value)) {
      return false;
    }
  }
  return true;
}
