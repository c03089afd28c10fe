/**
 * The chat stack as CloudFormation: routes and functions from the route table, the `$connect` authorizer,
 * least-privilege roles, function defaults, the table, stage throttling and logging, alarms and outputs.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../../lambdas/contract/index.ts';
import { DEFAULT_THROTTLE } from '../../lib/chat-api.ts';
import { PROJECT_ROOT } from '../../lib/chat-function.ts';
import { ChatStack } from '../../lib/chat-stack.ts';
import { settingsFromContext } from '../../lib/context.ts';
import { PLANNED_ACTIONS, ROUTES, type RouteDefinition, type TableAction } from '../../lib/routes.ts';
import { TABLE } from '../../lib/table.ts';
import {
  actionsOf,
  logicalId,
  NO_BUNDLING,
  privilegeViolations,
  resourcesOf,
  type Synthesized,
  statementsOf,
  synth,
} from './support.ts';

/** The actions of the wire contract (lambdas/contract), plus the three `$` routes. */
const CONTRACT_ACTIONS: readonly string[] = ACTION_NAMES;
const CONTRACT_ROUTE_KEYS = ['$connect', '$disconnect', '$default', ...CONTRACT_ACTIONS];

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DependsOn?: string[]; DeletionPolicy?: string }
>;

let s: Synthesized;
let resources: Resources;
beforeAll(() => {
  s = synth();
  resources = s.template.toJSON().Resources as Resources;
}, 120_000);

/** The CloudFormation properties of a construct's resource. */
const propsOf = (construct: IConstruct): Record<string, unknown> =>
  resources[logicalId(s.stack, construct)]?.Properties ?? {};
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const routeResource = (routeKey: string) =>
  ofType('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === routeKey);

/** The logical id of the function a route's integration invokes. */
function integratedFunction(routeKey: string): string {
  const route = routeResource(routeKey);
  if (!route) throw new Error(`no route ${routeKey}`);
  const target = JSON.stringify(route[1].Properties.Target);
  const integrationId = target.match(/"Ref":"([^"]+)"/)?.[1] ?? '';
  const integration = resources[integrationId];
  expect(integration?.Type).toBe('AWS::ApiGatewayV2::Integration');
  expect(integration?.Properties.IntegrationType).toBe('AWS_PROXY');
  return (
    JSON.stringify(integration?.Properties.IntegrationUri).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/)?.[1] ??
    ''
  );
}

function expectWired(def: RouteDefinition): void {
  const fn = s.stack.chatApi.functions.get(def.routeKey);
  expect(fn, def.routeKey).toBeDefined();
  if (!fn) return;
  expect(fn.entry).toBe(resolve(PROJECT_ROOT, def.entry));
  expect(integratedFunction(def.routeKey)).toBe(logicalId(s.stack, fn.function));
  expect(propsOf(fn.function).Description).toBe(`Chat route ${def.routeKey}`);
}

describe('routes', { timeout: 60_000 }, () => {
  it('creates one route per route-table entry, each integrated with its own function', () => {
    for (const def of ROUTES) expectWired(def);
    const targets = ROUTES.map((def) => integratedFunction(def.routeKey));
    expect(new Set(targets).size).toBe(ROUTES.length);
  });

  it('deploys exactly the route keys of the route table', () => {
    const keys = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(keys.sort()).toEqual(ROUTES.map((r) => r.routeKey).sort());
  });

  it('wires every contract action that the route table defines', () => {
    const present = ROUTES.filter((r) => CONTRACT_ROUTE_KEYS.includes(r.routeKey));
    expect(present.map((r) => r.routeKey)).toEqual(
      expect.arrayContaining(['$connect', '$disconnect', '$default', 'ping']),
    );
    for (const def of present) expectWired(def);
  });

  it('the route table covers every action of the wire contract: deployed, or planned and not deployed', () => {
    const missing = CONTRACT_ROUTE_KEYS.filter(
      (key) => !ROUTES.some((r) => r.routeKey === key) && !PLANNED_ACTIONS.includes(key),
    );
    expect(missing).toEqual([]);
    expect(ROUTES.filter((r) => PLANNED_ACTIONS.includes(r.routeKey))).toEqual([]);
    expect(ROUTES.filter((r) => !CONTRACT_ROUTE_KEYS.includes(r.routeKey))).toEqual([]);
  });

  it('selects routes by $request.body.action', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it('returns the handler response on two-way routes only', () => {
    for (const def of ROUTES) {
      const props = routeResource(def.routeKey)?.[1].Properties;
      expect(props?.RouteResponseSelectionExpression, def.routeKey).toBe(
        def.returnResponse ? '$default' : undefined,
      );
    }
    expect(ofType('AWS::ApiGatewayV2::RouteResponse')).toHaveLength(
      ROUTES.filter((r) => r.returnResponse).length,
    );
  });
});

describe('authorizer', { timeout: 60_000 }, () => {
  it('is a Lambda REQUEST authorizer reading the token query parameter', () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.token'],
      AuthorizerUri: Match.objectLike({
        'Fn::Join': Match.arrayWith([
          Match.arrayWith([
            { 'Fn::GetAtt': [logicalId(s.stack, s.stack.chatApi.authorizerFunction.function), 'Arn'] },
          ]),
        ]),
      }),
    });
  });

  it('guards $connect and no other route', () => {
    const [authorizerId] = ofType('AWS::ApiGatewayV2::Authorizer').map(([id]) => id);
    for (const [, route] of ofType('AWS::ApiGatewayV2::Route')) {
      if (route.Properties.RouteKey === '$connect') {
        expect(route.Properties.AuthorizationType).toBe('CUSTOM');
        expect(route.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
      } else {
        expect(route.Properties.AuthorizationType, String(route.Properties.RouteKey)).toBe('NONE');
        expect(route.Properties.AuthorizerId).toBeUndefined();
      }
    }
  });

  it('has no table access and no table or management environment', () => {
    const statements = statementsOf(s, s.stack.chatApi.authorizerFunction);
    const actions = statements.flatMap(actionsOf).sort();
    expect(actions).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const env = propsOf(s.stack.chatApi.authorizerFunction.function).Environment as {
      Variables: Record<string, unknown>;
    };
    expect(env.Variables.TABLE_NAME).toBeUndefined();
    expect(env.Variables.WS_MANAGEMENT_ENDPOINT).toBeUndefined();
  });
});

describe('least privilege', { timeout: 60_000 }, () => {
  const LOGGING = ['logs:CreateLogStream', 'logs:PutLogEvents'];
  const TRACING = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

  it('grants each route function exactly its table actions, on the table and its indexes', () => {
    const tableResources = [s.stack.table.table.tableArn, ...s.stack.table.indexArns].map((arn) =>
      s.stack.resolve(arn),
    );
    for (const def of ROUTES) {
      const fn = s.stack.chatApi.functions.get(def.routeKey);
      if (!fn) throw new Error(def.routeKey);
      const statements = statementsOf(s, fn);
      const dynamo = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('dynamodb:')));
      const expected = [...new Set(def.tableActions)].sort();
      if (expected.length === 0) {
        expect(dynamo, def.routeKey).toEqual([]);
      } else {
        expect(dynamo, def.routeKey).toHaveLength(1);
        expect(actionsOf(dynamo[0] as (typeof dynamo)[0]).sort(), def.routeKey).toEqual(expected);
        expect(resourcesOf(dynamo[0] as (typeof dynamo)[0]), def.routeKey).toEqual(tableResources);
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

  it('each role holds exactly: logging to its own log group, tracing, its table actions, its management access', () => {
    for (const fn of s.stack.chatApi.allFunctions) {
      const def = ROUTES.find((r) => s.stack.chatApi.functions.get(r.routeKey) === fn);
      const expected = [
        ...LOGGING,
        ...TRACING,
        ...(def?.tableActions ?? []),
        ...(def?.managementApi ? ['execute-api:ManageConnections'] : []),
        ...(def?.uses?.includes('scheduledQueue') ? ['sqs:SendMessage'] : []),
      ];
      const statements = statementsOf(s, fn);
      expect(statements.flatMap(actionsOf).sort(), fn.node.id).toEqual([...new Set(expected)].sort());
      const logging = statements.find((st) => actionsOf(st).includes('logs:PutLogEvents'));
      expect(resourcesOf(logging as NonNullable<typeof logging>)).toEqual([
        { 'Fn::GetAtt': [logicalId(s.stack, fn.logGroup), 'Arn'] },
      ]);
      const role = resources[logicalId(s.stack, fn.role)];
      expect(role?.Properties.ManagedPolicyArns, fn.node.id).toBeUndefined();
    }
  });

  it('has no dynamodb:Scan, no wildcard action, and no table access outside the route functions', () => {
    const routeRoles = [...s.stack.chatApi.functions.values(), ...s.stack.scheduled.functions].map((fn) =>
      logicalId(s.stack, fn.role),
    );
    expect(privilegeViolations(s.template, routeRoles)).toEqual([]);
  });

  it('the privilege check catches a Scan, a wildcard action and a grant on every resource', () => {
    const first = ROUTES[0] as RouteDefinition;
    const routes: RouteDefinition[] = [
      { ...first, tableActions: [...first.tableActions, 'dynamodb:Scan' as TableAction] },
      { ...first, routeKey: 'wild', name: 'Wild', tableActions: ['dynamodb:*' as TableAction] },
    ];
    const app = new App({ context: { ...NO_BUNDLING } });
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

describe('functions', { timeout: 60_000 }, () => {
  it('run nodejs24.x on arm64 with tracing, their own log group with retention, and source maps', () => {
    for (const fn of s.stack.chatApi.allFunctions) {
      const props = propsOf(fn.function);
      expect(props, fn.node.id).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 256,
        Timeout: 10,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: logicalId(s.stack, fn.logGroup) } },
        Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps', LOG_LEVEL: 'INFO' } },
      });
      expect(propsOf(fn.logGroup).RetentionInDays, fn.node.id).toBe(30);
    }
  });

  it('give route functions the table name and the stage callback URL as management endpoint', () => {
    const apiId = logicalId(s.stack, s.stack.chatApi.api);
    const endpoint = {
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: apiId },
          '.execute-api.',
          { Ref: 'AWS::Region' },
          '.',
          { Ref: 'AWS::URLSuffix' },
          '/prod',
        ],
      ],
    };
    for (const fn of s.stack.chatApi.functions.values()) {
      const env = (propsOf(fn.function).Environment as { Variables: object }).Variables;
      expect(env, fn.node.id).toMatchObject({
        TABLE_NAME: { Ref: logicalId(s.stack, s.stack.table.table) },
        WS_MANAGEMENT_ENDPOINT: endpoint,
      });
    }
  });

  it('skips asset bundling in these tests (aws:cdk:bundling-stacks = [])', () => {
    const staged = readdirSync(s.app.outdir).filter((f) => f.startsWith('asset.'));
    expect(staged).toEqual([]);
    expect(s.app.node.tryGetContext('aws:cdk:bundling-stacks')).toEqual(
      NO_BUNDLING['aws:cdk:bundling-stacks'],
    );
  });
});

describe('table', { timeout: 60_000 }, () => {
  it('is built from lib/table.ts: keys, TTL and each index with its projection', () => {
    s.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      GlobalSecondaryIndexes: TABLE.globalSecondaryIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection:
          index.nonKeyAttributes.length > 0
            ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.nonKeyAttributes] }
            : { ProjectionType: 'KEYS_ONLY' },
      })),
    });
  });

  it('is on-demand with point-in-time recovery, deletion protection and RETAIN by default', () => {
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
    s.template.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain' });
  });

  it('is destroyable with -c destroyable=true (and so are the user pool and log groups)', () => {
    const app = new App({ context: { ...NO_BUNDLING, destroyable: 'true' } });
    const settings = settingsFromContext(app.node);
    const dev = Template.fromStack(new ChatStack(app, 'Dev', settings.props));
    dev.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    dev.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtection: 'INACTIVE' }),
    });
    for (const [, log] of Object.entries(dev.findResources('AWS::Logs::LogGroup'))) {
      expect(log.DeletionPolicy).toBe('Delete');
    }
  });
});

describe('stage', { timeout: 60_000 }, () => {
  it('throttles the default route settings and each route with a throttle in the route table', () => {
    const expected = Object.fromEntries(
      ROUTES.filter((r) => r.throttle).map((r) => [
        r.routeKey,
        { ThrottlingRateLimit: r.throttle?.rateLimit, ThrottlingBurstLimit: r.throttle?.burstLimit },
      ]),
    );
    const [[, stage] = ['', undefined]] = ofType('AWS::ApiGatewayV2::Stage');
    expect(stage?.Properties).toMatchObject({
      StageName: 'prod',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_THROTTLE.rateLimit,
        ThrottlingBurstLimit: DEFAULT_THROTTLE.burstLimit,
      },
    });
    expect(stage?.Properties.RouteSettings).toEqual(Object.keys(expected).length ? expected : undefined);
  });

  it('honours a route throttle wherever the route table sets one, after the route exists', () => {
    const plain = (r: RouteDefinition): RouteDefinition => ({
      routeKey: r.routeKey,
      name: r.name,
      entry: r.entry,
      tableActions: r.tableActions,
      managementApi: r.managementApi,
      returnResponse: r.returnResponse,
    });
    const ping = plain(ROUTES.find((r) => r.routeKey === 'ping') as RouteDefinition);
    const routes: RouteDefinition[] = [
      ...ROUTES.filter((r) => r.routeKey.startsWith('$')).map(plain),
      { ...ping, routeKey: 'typing', name: 'Typing', throttle: { rateLimit: 7, burstLimit: 3 } },
      { ...ping, routeKey: 'other', name: 'Other' },
    ];
    const custom = synth({ routes, throttle: { rateLimit: 50, burstLimit: 20 } });
    const [[stageId, stage] = ['', undefined]] = Object.entries(
      custom.template.findResources('AWS::ApiGatewayV2::Stage'),
    );
    expect(stage?.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 20,
    });
    expect(stage?.Properties.RouteSettings).toEqual({
      typing: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 3 },
    });
    const typingRoute = custom.stack.chatApi.routes.get('typing');
    expect(stage?.DependsOn).toContain(
      logicalId(custom.stack, typingRoute as NonNullable<typeof typingRoute>),
    );
    expect(stageId).not.toBe('');
  });

  it.runIf(ROUTES.some((r) => r.routeKey === 'typing'))('throttles typing tighter than the default', () => {
    const typing = ROUTES.find((r) => r.routeKey === 'typing');
    expect(typing?.throttle).toBeDefined();
    expect(typing?.throttle?.rateLimit).toBeLessThan(DEFAULT_THROTTLE.rateLimit);
  });

  it('writes JSON access logs to its own log group', () => {
    const [[, stage] = ['', undefined]] = ofType('AWS::ApiGatewayV2::Stage');
    const settings = stage?.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(settings.DestinationArn).toEqual({
      'Fn::GetAtt': [logicalId(s.stack, s.stack.chatApi.accessLogs), 'Arn'],
    });
    expect(JSON.parse(settings.Format)).toMatchObject({
      requestId: '$context.requestId',
      connectionId: '$context.connectionId',
      routeKey: '$context.routeKey',
      status: '$context.status',
    });
    expect(propsOf(s.stack.chatApi.accessLogs).RetentionInDays).toBe(30);
  });

  it('sets the account’s API Gateway logging role unless told the account has one', () => {
    s.template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const [[accountId] = ['']] = ofType('AWS::ApiGateway::Account');
    const [[, stage] = ['', undefined]] = ofType('AWS::ApiGatewayV2::Stage');
    expect(stage?.DependsOn).toContain(accountId);
    synth({ configureAccountLogging: false }).template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });
});

describe('monitoring', { timeout: 60_000 }, () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties);

  it('alarms on errors and throttles of every function', () => {
    for (const fn of s.stack.chatApi.allFunctions) {
      const fnRef = { Ref: logicalId(s.stack, fn.function) };
      for (const metric of ['Errors', 'Throttles']) {
        const found = alarms().filter(
          (a) =>
            a.Namespace === 'AWS/Lambda' &&
            a.MetricName === metric &&
            JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: 'FunctionName', Value: fnRef }]),
        );
        expect(found, `${fn.node.id} ${metric}`).toHaveLength(1);
        expect(found[0]).toMatchObject({
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
    }
  });

  it('alarms on the stage’s server errors (ExecutionError + IntegrationError) and p99 integration latency', () => {
    const stageDims = [
      { Name: 'ApiId', Value: { Ref: logicalId(s.stack, s.stack.chatApi.api) } },
      { Name: 'Stage', Value: 'prod' },
    ];
    const serverErrors = alarms().find((a) => JSON.stringify(a.Metrics ?? '').includes('ExecutionError'));
    const metrics = (serverErrors?.Metrics ?? []) as {
      MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } };
    }[];
    expect(metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).sort()).toEqual([
      'ExecutionError',
      'IntegrationError',
    ]);
    for (const m of metrics) if (m.MetricStat) expect(m.MetricStat.Metric.Dimensions).toEqual(stageDims);
    const latency = alarms().find((a) => a.MetricName === 'IntegrationLatency');
    expect(latency).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      ExtendedStatistic: 'p99',
      Dimensions: stageDims,
    });
    expect(alarms()).toHaveLength(
      2 * s.stack.chatApi.allFunctions.length + 2 + s.stack.scheduled.alarms.length,
    );
  });

  it('sends alarms to a topic when one is given, and has a dashboard', () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:chat-alarms';
    const withTopic = synth({ alarmTopicArn: topic });
    const all = Object.values(withTopic.template.findResources('AWS::CloudWatch::Alarm'));
    expect(all.length).toBeGreaterThan(0);
    for (const a of all) {
      expect(a.Properties.AlarmActions).toEqual([topic]);
      expect(a.Properties.OKActions).toEqual([topic]);
    }
    for (const a of alarms()) expect(a.AlarmActions).toBeUndefined();
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('outputs', { timeout: 60_000 }, () => {
  it('exports the wss:// URL, the table name and the created user pool and client', () => {
    const apiId = logicalId(s.stack, s.stack.chatApi.api);
    s.template.hasOutput('WebSocketUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'wss://',
            { Ref: apiId },
            '.execute-api.',
            { Ref: 'AWS::Region' },
            '.',
            { Ref: 'AWS::URLSuffix' },
            '/prod',
          ],
        ],
      },
    });
    s.template.hasOutput('TableName', { Value: { Ref: logicalId(s.stack, s.stack.table.table) } });
    const pool = s.stack.auth.userPool;
    const client = s.stack.auth.userPoolClient;
    if (!pool || !client) throw new Error('cognito mode creates a pool and a client');
    s.template.hasOutput('UserPoolId', { Value: { Ref: logicalId(s.stack, pool) } });
    s.template.hasOutput('UserPoolClientId', { Value: { Ref: logicalId(s.stack, client) } });
  });
});
