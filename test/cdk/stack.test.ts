/**
 * The chat stack as CloudFormation: routes and functions from the route table, the `$connect` authorizer,
 * function defaults, the table, stage throttling and logging, alarms and outputs.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../../lambdas/contract/index.ts';
import { DEFAULT_THROTTLE } from '../../lib/chat-api.ts';
import { PROJECT_ROOT } from '../../lib/chat-function.ts';
import { ChatStack } from '../../lib/chat-stack.ts';
import { settingsFromContext } from '../../lib/context.ts';
import { PLANNED_ACTIONS, ROUTES, type RouteDefinition } from '../../lib/routes.ts';
import { TABLE } from '../../lib/table.ts';
import { actionsOf, logicalId, NO_BUNDLING, statementsOf, synth, testApp, useSynth } from './support.ts';

/** The actions of the wire contract (lambdas/contract), plus the three `$` routes. */
const CONTRACT_ACTIONS: readonly string[] = ACTION_NAMES;
const CONTRACT_ROUTE_KEYS = ['$connect', '$disconnect', '$default', ...CONTRACT_ACTIONS];

const { s, resources } = useSynth();

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

describe('routes', { timeout: 180_000 }, () => {
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

describe('authorizer', { timeout: 180_000 }, () => {
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

describe('functions', { timeout: 180_000 }, () => {
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

describe('table', { timeout: 180_000 }, () => {
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
    // Every queue too (the workers', the stream consumers' failures, the scheduled messages').
    const queues = Object.values(s.template.findResources('AWS::SQS::Queue'));
    expect(queues.length).toBeGreaterThanOrEqual(6);
    for (const queue of queues) expect(queue.DeletionPolicy).toBe('Retain');
  });

  it('is destroyable with -c destroyable=true (and so are the user pool and log groups)', () => {
    const app = testApp({ destroyable: 'true' });
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
    for (const queue of Object.values(dev.findResources('AWS::SQS::Queue'))) {
      expect(queue.DeletionPolicy).toBe('Delete');
    }
  });
});

describe('stage', { timeout: 180_000 }, () => {
  it('throttles the default route settings and each route with a throttle in the route table', () => {
    const expected = Object.fromEntries(
      ROUTES.filter((r) => r.throttle).map((r) => [
        r.routeKey,
        {
          ThrottlingRateLimit: r.throttle?.rateLimit,
          ThrottlingBurstLimit: r.throttle?.burstLimit,
          DetailedMetricsEnabled: true,
        },
      ]),
    );
    const [[, stage] = ['', undefined]] = ofType('AWS::ApiGatewayV2::Stage');
    expect(stage?.Properties).toMatchObject({
      StageName: 'prod',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_THROTTLE.rateLimit,
        ThrottlingBurstLimit: DEFAULT_THROTTLE.burstLimit,
        DetailedMetricsEnabled: true,
      },
    });
    expect(stage?.Properties.RouteSettings).toEqual(Object.keys(expected).length ? expected : undefined);
    // Frames that match no action have a budget of their own, far below the stage's.
    expect((stage?.Properties.RouteSettings as Record<string, unknown> | undefined)?.$default).toMatchObject({
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 100,
    });
  });

  it('honours a route throttle wherever the route table sets one, after the route exists', () => {
    const plain = (r: RouteDefinition): RouteDefinition => ({
      routeKey: r.routeKey,
      name: r.name,
      entry: r.entry,
      tableActions: r.tableActions,
      managementApi: r.managementApi,
      postsEvents: r.postsEvents,
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
      DetailedMetricsEnabled: true,
    });
    expect(stage?.Properties.RouteSettings).toEqual({
      typing: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 3, DetailedMetricsEnabled: true },
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

describe('outputs', { timeout: 180_000 }, () => {
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
