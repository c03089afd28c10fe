/**
 * The IAM check's logic, free of I/O (scripts/check-iam.ts runs it; test/unit/check-iam.test.ts proves
 * it on small fixtures):
 *
 * - every recorded AWS call of a function must be allowed by that function's policy: an `Allow`
 *   statement whose action matches, whose resource matches, and whose conditions hold for the call
 *   (`dynamodb:LeadingKeys` with `StringLike`/`StringEquals`, plain or `ForAllValues:`);
 * - every (action, resource) a function's policy grants must be used by some recorded call of that
 *   function, unless the allow-list names it with a reason; a statement with a `dynamodb:LeadingKeys`
 *   condition grants each (action, key pattern) pair on its own, and each pair must be used by a call
 *   of that action on a key that pattern matches (`DeleteItem, UpdateItem` on `[USER#*, LIMIT#*]` with
 *   only a `DeleteItem` on `USER#` and an `UpdateItem` on `LIMIT#` recorded holds two unused pairs).
 *
 * Not verified (docs/operations.md, "What `npm test` proves"): KMS grants are taken as used by the
 * function's DynamoDB calls (`impliedUse`), whatever their key, actions or `kms:ViaService`.
 *
 * Resources are compared symbolically: the template's ARN expressions and the recorded calls are both
 * reduced to `table`, `table/index/<name>`, `table/stream`, `@connections`, `secret`, `queue/<name>`,
 * `media-bucket/<key>`, … (`symbolicResource`); a granted resource with wildcards
 * (`media-bucket/chats/*`) matches as IAM does.
 */
import type { RecordedCall } from '../lambdas/shared/call-recorder.ts';

/** A recorded call (the shape lambdas/shared/call-recorder.ts writes). */
export type Call = RecordedCall;

export interface Statement {
  readonly Effect: string;
  readonly Action: string | readonly string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

/** A function of the template: its key in the recorded calls (route key or `$authorizer`) and policy. */
export interface FunctionPolicy {
  readonly fn: string;
  readonly statements: readonly Statement[];
}

/** A grant that no test exercises, kept on purpose. */
export interface AllowListEntry {
  readonly fn: string;
  readonly action: string;
  /** Symbolic resource (see `symbolicResource`). */
  readonly resource: string;
  /**
   * The `dynamodb:LeadingKeys` pattern of the pair it keeps (`ROSTER#*`), for a statement with that
   * condition; an entry without one keeps only grants without it.
   */
  readonly leadingKey?: string;
  /** Why the grant is needed although the suites never make the call. */
  readonly reason: string;
}

export interface IamReport {
  /** Calls no statement allows. */
  readonly missing: string[];
  /** Grants no call uses (and not allow-listed). */
  readonly unused: string[];
  /** Unused grants the allow-list keeps, with its reason. */
  readonly allowListed: string[];
  /** The allow-list entries that kept a grant (an entry no variant uses is stale). */
  readonly usedAllowList: ReadonlySet<AllowListEntry>;
  /** Calls made outside any handler invocation (not attributable to a function). */
  readonly unattributed: number;
}

/** Actions every function holds for the runtime itself (its log group, X-Ray), never recorded. */
const RUNTIME_ACTIONS = /^(logs|xray):/;

const list = <T>(v: T | readonly T[] | undefined): readonly T[] =>
  v === undefined ? [] : Array.isArray(v) ? (v as readonly T[]) : [v as T];

/** Renders a CloudFormation expression as a string: `Fn::GetAtt` → `<Id.Attr>`, `Ref` → `<Id>`. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    const join = node['Fn::Join'] as [string, unknown[]] | undefined;
    if (join) return join[1].map(flatten).join(join[0]);
    const getAtt = node['Fn::GetAtt'] as [string, string] | undefined;
    if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
    if ('Ref' in node) return `<${String(node.Ref)}>`;
    if ('Fn::Sub' in node) return String(node['Fn::Sub']);
  }
  return JSON.stringify(value);
}

/** Logical ids the classification needs. */
export interface TemplateNames {
  readonly table: string;
  readonly secrets?: readonly string[];
  readonly keys?: readonly string[];
  /** SQS queues: logical id → the queue's name in the recorded calls (lib/workers.ts). */
  readonly queues?: Readonly<Record<string, string>>;
  /** The media bucket's logical id: `<id.Arn>/<key pattern>` becomes `media-bucket/<key pattern>`. */
  readonly mediaBucket?: string;
}

/** The symbolic form of a template resource. */
export function symbolicResource(expr: unknown, names: TemplateNames): string {
  const flat = flatten(expr);
  if (flat === '*') return '*';
  const table = `<${names.table}.Arn>`;
  if (flat === table) return 'table';
  if (flat.startsWith(`${table}/index/`)) return `table/index/${flat.slice(table.length + 7)}`;
  if (flat === `<${names.table}.StreamArn>`) return 'table/stream';
  if (flat === `${table}/stream/*`) return 'table/stream/*';
  if (flat.includes('/@connections/')) return '@connections';
  if (names.secrets?.some((id) => flat === `<${id}>`) || flat.includes(':secretsmanager:')) return 'secret';
  if (names.keys?.some((id) => flat === `<${id}.Arn>`)) return 'kms-key';
  for (const [id, name] of Object.entries(names.queues ?? {})) {
    if (flat === `<${id}.Arn>`) return `queue/${name}`;
  }
  const bucket = names.mediaBucket && `<${names.mediaBucket}.Arn>`;
  if (bucket && (flat === bucket || flat.startsWith(`${bucket}/`))) {
    return `media-bucket${flat.slice(bucket.length)}`;
  }
  return flat;
}

/** The symbolic resource a recorded call acts on. */
export function callResource(call: Call): string {
  if (call.action.startsWith('dynamodb:')) return call.index ? `table/index/${call.index}` : 'table';
  if (call.action.startsWith('secretsmanager:')) return 'secret';
  // A queue URL ends with the queue's name (on AWS and in the local stand-in).
  if (call.action.startsWith('sqs:') && call.resource) return `queue/${call.resource.split('/').pop()}`;
  return call.resource ?? '*';
}

/** An IAM wildcard pattern (`*`, `?`) as a regular expression. */
const glob = (pattern: string, flags = '') =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    flags,
  );

/** IAM action names are case-insensitive. */
const actionMatches = (granted: string, action: string) => glob(granted, 'i').test(action);

/** A granted (symbolic) resource covers a call's: equal, `*`, or a wildcard pattern that matches. */
const resourceMatches = (granted: string, target: string) =>
  granted === '*' || granted === target || (/[*?]/.test(granted) && glob(granted).test(target));

const CONTEXT_KEYS: Record<string, (call: Call) => string[]> = {
  'dynamodb:LeadingKeys': (call) => (call.leadingKey ? [call.leadingKey] : []),
};

/**
 * Whether the statement's conditions hold for the call. Conditions on keys or with operators this
 * checker does not model never hold (it proves, so it may not guess).
 */
export function conditionsHold(statement: Statement, call: Call): boolean {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    const forAll = operator.startsWith('ForAllValues:');
    const base = operator.replace(/^For(All|Any)Values:/, '');
    if (!['StringLike', 'StringEquals'].includes(base) || operator.startsWith('ForAnyValue')) return false;
    for (const [key, expected] of Object.entries(keys)) {
      const context = CONTEXT_KEYS[key];
      if (!context) return false;
      const values = context(call);
      const ok = (v: string) =>
        list(expected).some((p) => (base === 'StringLike' ? glob(p).test(v) : p === v));
      if (forAll ? !values.every(ok) : values.length !== 1 || !ok(values[0] as string)) return false;
    }
  }
  return true;
}

/**
 * The `dynamodb:LeadingKeys` patterns a statement's condition names, each with whether a key matches
 * it (`StringLike`: a wildcard pattern; `StringEquals`: that key); none without such a condition.
 */
function leadingKeyPatterns(statement: Statement): { pattern: string; matches: (key: string) => boolean }[] {
  return Object.entries(statement.Condition ?? {}).flatMap(([operator, keys]) =>
    list(keys['dynamodb:LeadingKeys']).map((pattern) => ({
      pattern,
      matches: (key: string) => (operator.endsWith('StringLike') ? glob(pattern).test(key) : key === pattern),
    })),
  );
}

function allows(statement: Statement, call: Call, resourceOf: (expr: unknown) => string): boolean {
  if (statement.Effect !== 'Allow') return false;
  if (!list(statement.Action).some((a) => actionMatches(a, call.action))) return false;
  const target = callResource(call);
  if (!list(statement.Resource).some((r) => resourceMatches(resourceOf(r), target))) return false;
  return conditionsHold(statement, call);
}

const describeCall = (c: Call) =>
  `${c.action} on ${callResource(c)} (${c.operation}${c.leadingKey ? `, key ${c.leadingKey}` : ''})`;

/** Actions implied by other calls: DynamoDB calls a customer managed KMS key on the caller's behalf. */
function impliedUse(action: string, calls: readonly Call[]): boolean {
  return action.startsWith('kms:') && calls.some((c) => c.action.startsWith('dynamodb:'));
}

export function checkIam(
  calls: readonly Call[],
  functions: readonly FunctionPolicy[],
  resourceOf: (expr: unknown) => string,
  allowList: readonly AllowListEntry[] = [],
): IamReport {
  const missing: string[] = [];
  const unused: string[] = [];
  const allowListed: string[] = [];
  const usedEntries = new Set<AllowListEntry>();
  const byFn = new Map(functions.map((f) => [f.fn, f]));

  for (const call of calls) {
    if (call.fn === null) continue;
    const fn = byFn.get(call.fn);
    if (!fn) {
      missing.push(`${call.fn}: no such function in the template, yet it called ${describeCall(call)}`);
    } else if (!fn.statements.some((s) => allows(s, call, resourceOf))) {
      missing.push(`${call.fn}: ${describeCall(call)} is not allowed by its policy`);
    }
  }

  for (const fn of functions) {
    const own = calls.filter((c) => c.fn === fn.fn);
    for (const statement of fn.statements) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of list(statement.Action)) {
        if (RUNTIME_ACTIONS.test(action)) continue;
        for (const resourceExpr of list(statement.Resource)) {
          const resource = resourceOf(resourceExpr);
          // A LeadingKeys statement: each pattern with the action is a grant of its own.
          const keyed = leadingKeyPatterns(statement);
          for (const key of keyed.length ? keyed : [undefined]) {
            const used =
              impliedUse(action, own) ||
              own.some(
                (c) =>
                  actionMatches(action, c.action) &&
                  resourceMatches(resource, callResource(c)) &&
                  conditionsHold(statement, c) &&
                  (!key || (c.leadingKey !== undefined && key.matches(c.leadingKey))),
              );
            if (used) continue;
            const entry = allowList.find(
              (e) =>
                e.fn === fn.fn &&
                actionMatches(e.action, action) &&
                e.resource === resource &&
                e.leadingKey === key?.pattern,
            );
            const grant = `${fn.fn}: ${action} on ${resource}${key ? ` for ${key.pattern}` : ''}`;
            if (entry) {
              usedEntries.add(entry);
              allowListed.push(`${grant} — ${entry.reason}`);
            } else unused.push(`${grant} is granted but never used`);
          }
        }
      }
    }
  }

  return {
    missing: [...new Set(missing)],
    unused: [...new Set(unused)],
    allowListed: [...new Set(allowListed)],
    usedAllowList: usedEntries,
    unattributed: calls.filter((c) => c.fn === null).length,
  };
}
