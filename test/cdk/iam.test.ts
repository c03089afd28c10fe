/**
 * Least privilege in the synthesized template: each route function holds exactly the table actions of
 * the route table (items on the table, queries on an index, scoped deletes), its management access,
 * logging and tracing; nothing else, no Scan, no wildcard. (scripts/check-iam.ts proves the same grants
 * against the calls the suites really make.)
 */
import { Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ChatStack } from '../../lib/chat-stack.ts';
import { ROUTES, type RouteDefinition, type TableAction } from '../../lib/routes.ts';
import {
  actionsOf,
  grant,
  grantsOf,
  logicalId,
  privilegeViolations,
  resourcesOf,
  statementsOf,
  testApp,
  useSynth,
} from './support.ts';

const { s, resources } = useSynth();

describe('least privilege', { timeout: 180_000 }, () => {
  const LOGGING = ['logs:CreateLogStream', 'logs:PutLogEvents'];
  const TRACING = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

  it('grants each route function exactly its table actions: items on the table, queries on an index, scoped deletes', () => {
    const table = s.stack.resolve(s.stack.table.table.tableArn);
    const scoped = {
      'dynamodb:DeleteItem:userPartitions': ['USER#*'],
      'dynamodb:DeleteItem:socketPartitions': ['USER#*', 'ROSTER#*'],
      'dynamodb:UpdateItem:limitPartitions': ['LIMIT#*'],
    } as Record<string, string[]>;
    for (const def of ROUTES) {
      const fn = s.stack.chatApi.functions.get(def.routeKey);
      if (!fn) throw new Error(def.routeKey);
      const dynamo = grantsOf(statementsOf(s, fn)).filter((g) => g.includes('"dynamodb:'));
      const expected = [...new Set(def.tableActions)].map((a) => {
        if (a.startsWith('dynamodb:Query:'))
          return grant('dynamodb:Query', s.stack.resolve(s.stack.table.indexArn(a.split(':')[2] as string)));
        const prefixes = scoped[a];
        if (!prefixes) return grant(a, table);
        // A route holding the action on every item gets no scoped grant besides it.
        const action = a.split(':').slice(0, 2).join(':') as TableAction;
        return def.tableActions.includes(action)
          ? grant(action, table)
          : grant(action, table, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes } });
      });
      expect(dynamo, def.routeKey).toEqual([...new Set(expected)].sort());
    }
  });

  it('never grants DeleteItem on every item to a route that only removes stale connections (and roster entries)', () => {
    const cases: [string, string[]][] = [
      ['$connect', ['USER#*']],
      ['$disconnect', ['USER#*']],
      // Routes that post group events also remove a gone socket's entry in the group's roster.
      // (sendMessage holds DeleteItem on the table: it releases clientMessageId claims.)
      ['editMessage', ['USER#*', 'ROSTER#*']],
      ['typing', ['USER#*', 'ROSTER#*']],
      ['createChat', ['USER#*', 'ROSTER#*']],
      ['invite', ['USER#*', 'ROSTER#*']],
      // Routes that tell only the caller's own other sockets remove no roster entry.
      ['scheduleMessage', ['USER#*']],
      ['cancelScheduled', ['USER#*']],
    ];
    for (const [routeKey, prefixes] of cases) {
      const fn = s.stack.chatApi.functions.get(routeKey);
      if (!fn) throw new Error(routeKey);
      const deletes = statementsOf(s, fn).filter((st) => actionsOf(st).includes('dynamodb:DeleteItem'));
      expect(deletes.length, routeKey).toBeGreaterThan(0);
      for (const st of deletes) {
        expect((st as { Condition?: unknown }).Condition, routeKey).toEqual({
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes },
        });
      }
    }
  });

  it('grants every route but $disconnect the rate limiter’s lease; routes that write nothing else hold UpdateItem on LIMIT# partitions only', () => {
    // Reads, keep-alive, unmatched frames and typing write nothing but the limiter's lease.
    // (listChats and history also fill voids, and listScheduled fails the schedules of a deleted
    // chat: they hold UpdateItem on every item.)
    const leaseOnly = [
      '$default',
      'ping',
      'getChat',
      'sync',
      'getPresence',
      'getAttachmentUrl',
      'listBlocked',
      'listReports',
      'typing',
    ];
    const onLimits = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LIMIT#*'] } };
    for (const def of ROUTES) {
      if (def.routeKey === '$disconnect') continue;
      const fn = s.stack.chatApi.functions.get(def.routeKey);
      if (!fn) throw new Error(def.routeKey);
      const updates = statementsOf(s, fn).filter((st) => actionsOf(st).includes('dynamodb:UpdateItem'));
      expect(updates.length, def.routeKey).toBeGreaterThan(0);
      if (!leaseOnly.includes(def.routeKey)) continue;
      for (const st of updates) {
        expect(actionsOf(st), def.routeKey).toEqual(['dynamodb:UpdateItem']);
        expect((st as { Condition?: unknown }).Condition, def.routeKey).toEqual(onLimits);
      }
    }
  });

  it('grants execute-api:ManageConnections on this stage’s @connections only where the route table says so', () => {
    const connections = s.stack.resolve(s.stack.chatApi.connectionsArn);
    expect(JSON.stringify(connections)).toContain('/prod/*/@connections/*');
    for (const def of ROUTES) {
      const fn = s.stack.chatApi.functions.get(def.routeKey);
      if (!fn) throw new Error(def.routeKey);
      const manage = statementsOf(s, fn).filter((st) =>
        actionsOf(st).some((a) => a.startsWith('execute-api:')),
      );
      if (def.managementApi) {
        expect(manage, def.routeKey).toHaveLength(1);
        expect(actionsOf(manage[0] as (typeof manage)[0])).toEqual(['execute-api:ManageConnections']);
        expect(resourcesOf(manage[0] as (typeof manage)[0])).toEqual([connections]);
      } else {
        expect(manage, def.routeKey).toEqual([]);
      }
    }
  });

  it('each role holds exactly: logging to its own log group, tracing, its table, management and media actions', () => {
    for (const fn of s.stack.chatApi.allFunctions) {
      const def = ROUTES.find((r) => s.stack.chatApi.functions.get(r.routeKey) === fn);
      const expected = [
        ...LOGGING,
        ...TRACING,
        ...(def?.tableActions ?? []).map((a) => a.split(':').slice(0, 2).join(':')),
        ...(def?.managementApi ? ['execute-api:ManageConnections'] : []),
        // Whatever posts events to others may hand a big fan-out to the queue (test/cdk/workers.test.ts);
        // a route that uses another queue (scheduled messages, retention) sends to that one.
        ...(def?.postsEvents || def?.uses?.length ? ['sqs:SendMessage'] : []),
        ...(def?.mediaActions ?? []),
      ];
      const statements = statementsOf(s, fn);
      expect([...new Set(statements.flatMap(actionsOf))].sort(), fn.node.id).toEqual(
        [...new Set(expected)].sort(),
      );
      const logging = statements.find((st) => actionsOf(st).includes('logs:PutLogEvents'));
      expect(resourcesOf(logging as NonNullable<typeof logging>)).toEqual([
        { 'Fn::GetAtt': [logicalId(s.stack, fn.logGroup), 'Arn'] },
      ]);
      const role = resources[logicalId(s.stack, fn.role)];
      expect(role?.Properties.ManagedPolicyArns, fn.node.id).toBeUndefined();
    }
  });

  it('has no dynamodb:Scan, no wildcard action, and no table access outside the route functions', () => {
    const routeRoles = [
      ...s.stack.chatApi.functions.values(),
      ...s.stack.scheduled.functions,
      s.stack.fanOutWorker.worker,
      s.stack.retentionWorker.worker,
    ].map((fn) => logicalId(s.stack, fn.role));
    expect(privilegeViolations(s.template, routeRoles)).toEqual([]);
  });

  it('the privilege check catches a Scan, a wildcard action and a grant on every resource', () => {
    const first = ROUTES[0] as RouteDefinition;
    const routes: RouteDefinition[] = [
      { ...first, tableActions: [...first.tableActions, 'dynamodb:Scan' as TableAction] },
      { ...first, routeKey: 'wild', name: 'Wild', tableActions: ['dynamodb:*' as TableAction] },
    ];
    const app = testApp();
    const stack = new ChatStack(app, 'Bad', { routes });
    stack.chatApi.authorizerFunction.role.addToPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: ['*'] }),
    );
    const routeRoles = [...stack.chatApi.functions.values()].map((fn) => logicalId(stack, fn.role));
    const violations = privilegeViolations(Template.fromStack(stack), routeRoles);
    expect(violations.some((v) => v.includes('dynamodb:Scan'))).toBe(true);
    expect(violations.some((v) => v.includes('wildcard action dynamodb:*'))).toBe(true);
    expect(violations.some((v) => v.includes('secretsmanager:GetSecretValue on every resource'))).toBe(true);
  });
});
