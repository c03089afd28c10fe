/**
 * Helpers for the CDK assertion tests. Stacks are synthesized with `aws:cdk:bundling-stacks` set to
 * `[]`, so CDK skips asset bundling (no esbuild run) and a stack with every function synthesizes in a
 * second or two. test/cdk/bundle.test.ts covers the bundles themselves.
 */
import { Annotations, App, type CfnResource, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll } from 'vitest';
import type { ChatFunction } from '../../lib/chat-function.ts';
import { ChatStack, type ChatStackProps, NO_ALARM_TOPIC_WARNING } from '../../lib/chat-stack.ts';
import { FEATURE_FLAGS } from '../../lib/feature-flags.ts';

/** The feature flags of cdk.json (lib/feature-flags.ts) and no asset bundling. */
export const NO_BUNDLING = { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } as const;

export interface Synthesized {
  readonly app: App;
  readonly stack: ChatStack;
  readonly template: Template;
}

/**
 * An app as the tests synthesize it: cdk.json's feature flags, no asset bundling, and without CDK's
 * built-in CloudFormation validation unless `validate` (a WASM rules engine that `cdk synth` runs:
 * about 4 s of a process's first synth, most of a CDK test file's time). The files that check the
 * template itself turn it on: test/cdk/cfn-lint.test.ts for every variant, and nag.test.ts for the
 * synth `bin/app.ts` runs.
 */
export function testApp(context: Record<string, unknown> = {}, options: { validate?: boolean } = {}): App {
  return new App({
    context: { ...NO_BUNDLING, ...context },
    builtinCloudFormationValidation: options.validate ?? false,
  });
}

export function synth(
  props: ChatStackProps = {},
  context: Record<string, unknown> = {},
  options: { validate?: boolean } = {},
): Synthesized {
  const app = testApp(context, options);
  const stack = new ChatStack(app, 'ChatTest', props);
  // Never deployed: its alarms have nobody to notify (test/cdk/fault-alarms.test.ts tests the warning).
  Annotations.of(stack).acknowledgeWarning(NO_ALARM_TOPIC_WARNING, 'A test stack is never deployed.');
  return { app, stack, template: Template.fromStack(stack) };
}

/** A template's resources by logical id (`template.toJSON().Resources`). */
export type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string }
>;

/**
 * A stack synthesized once for the test file, before its tests (`beforeAll` with `timeout`): `s` and
 * `resources` (its template's resources) can be held from the start and stand for it once synthesized;
 * read them in hooks and tests.
 */
export function useSynth(
  props: ChatStackProps = {},
  timeout = 300_000,
): { readonly s: Synthesized; readonly resources: Resources } {
  let current: { s: Synthesized; resources: Resources } | undefined;
  beforeAll(() => {
    const s = synth(props);
    current = { s, resources: s.template.toJSON().Resources as Resources };
  }, timeout);
  const ready = () => {
    if (!current) throw new Error('The stack is not synthesized: use it in a hook or a test.');
    return current;
  };
  return { s: lateObject(() => ready().s), resources: lateObject(() => ready().resources) };
}

/** An object whose every read (keys and entries too) goes to `current()`. */
function lateObject<T extends object>(current: () => T): T {
  return new Proxy({} as T, {
    get: (_target, key) => (key === 'then' ? undefined : Reflect.get(current(), key)),
    has: (_target, key) => Reflect.has(current(), key),
    ownKeys: () => Reflect.ownKeys(current()),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(current(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}

export function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnResource);
}

/** A function's environment variables in a synthesized template (empty when it has none). */
export function envOf(s: { stack: Stack; template: Template }, fn: ChatFunction): Record<string, string> {
  return (
    s.template.toJSON().Resources[logicalId(s.stack, fn.function)].Properties.Environment?.Variables ?? {}
  );
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOf = (s: Statement): unknown[] =>
  Array.isArray(s.Resource) ? s.Resource : [s.Resource];

/** Every policy statement attached to a function's role: its inline policies and every AWS::IAM::Policy. */
export function statementsOf(synthesized: Synthesized, fn: ChatFunction): Statement[] {
  const roleId = logicalId(synthesized.stack, fn.role);
  const resources = synthesized.template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  const role = resources[roleId];
  if (!role) throw new Error(`no role ${roleId}`);
  const inline = (
    (role.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]
  ).flatMap((p) => p.PolicyDocument.Statement);
  const attached = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleId}"`))
    .flatMap(
      (r) => (r.Properties?.PolicyDocument as { Statement: Statement[] } | undefined)?.Statement ?? [],
    );
  return [...inline, ...attached];
}

/** The only actions that may use `Resource: "*"`: X-Ray does not support resource-level permissions. */
const STAR_RESOURCE_ACTIONS = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

/**
 * Least-privilege violations in a template: `dynamodb:Scan`, any action with a wildcard, `Resource: "*"`
 * for anything but X-Ray, and any DynamoDB grant to a role that is not one of the route functions' roles.
 */
export function privilegeViolations(template: Template, allowedDynamoRoles: readonly string[]): string[] {
  const found: string[] = [];
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties?: Record<string, unknown> }
  >;
  for (const [id, r] of Object.entries(resources)) {
    const docs: { Statement: Statement[] }[] = [];
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      docs.push(r.Properties?.PolicyDocument as { Statement: Statement[] });
    }
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of (r.Properties?.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) {
        docs.push(p.PolicyDocument);
      }
    }
    const roles = JSON.stringify(r.Properties?.Roles ?? [{ Ref: id }]);
    for (const s of docs.flatMap((d) => d.Statement)) {
      const starResource = resourcesOf(s).includes('*');
      for (const action of actionsOf(s)) {
        if (starResource && !STAR_RESOURCE_ACTIONS.has(action))
          found.push(`${id}: ${action} on every resource`);
        if (action.toLowerCase() === 'dynamodb:scan') found.push(`${id}: ${action}`);
        if (action.includes('*')) found.push(`${id}: wildcard action ${action}`);
        if (
          action.startsWith('dynamodb:') &&
          !allowedDynamoRoles.some((role) => roles.includes(`"${role}"`))
        ) {
          found.push(`${id}: ${action} granted outside the route functions`);
        }
      }
    }
  }
  return found;
}

/** One effective permission: an action on a resource under a condition (rendered as JSON). */
export type Grant = string;

/**
 * The effective permissions of some statements, one per action × resource, whatever way CDK groups the
 * statements (`@aws-cdk/aws-iam:minimizePolicies` merges them).
 */
export function grantsOf(statements: readonly Statement[]): Grant[] {
  return statements
    .flatMap((s) =>
      actionsOf(s).flatMap((action) =>
        resourcesOf(s).map((resource) =>
          JSON.stringify({
            action,
            resource,
            ...((s as { Condition?: unknown }).Condition
              ? { condition: (s as { Condition?: unknown }).Condition }
              : {}),
          }),
        ),
      ),
    )
    .sort();
}

export const grant = (action: string, resource: unknown, condition?: unknown): Grant =>
  JSON.stringify({ action, resource, ...(condition ? { condition } : {}) });

/**
 * The `dynamodb:LeadingKeys` patterns each action on `table` is limited to, by action (`['*']` for a
 * statement without the condition), whatever way the statements group the actions.
 */
export function leadingKeysByAction(
  statements: readonly Statement[],
  table: unknown,
): Record<string, string[]> {
  const byAction: Record<string, string[]> = {};
  for (const st of statements) {
    if (JSON.stringify(resourcesOf(st)) !== JSON.stringify([table])) continue;
    const condition = (st as { Condition?: Record<string, Record<string, string[]>> }).Condition;
    const keys = condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? ['*'];
    for (const action of actionsOf(st)) byAction[action] = [...(byAction[action] ?? []), ...keys].sort();
  }
  return byAction;
}
