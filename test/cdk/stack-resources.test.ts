/** The chat stack as CloudFormation: the table, stage throttling and logging, and outputs. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THROTTLE } from '../../lib/chat-api.ts';
import { ChatStack } from '../../lib/chat-stack.ts';
import { settingsFromContext } from '../../lib/context.ts';
import { ROUTES, type RouteDefinition } from '../../lib/routes.ts';
import { TABLE } from '../../lib/table.ts';
import { logicalId, synth, testApp, useSynth } from './support.ts';

const { s, resources } = useSynth();

/** The CloudFormation properties of a construct's resource. */
const propsOf = (construct: IConstruct): Record<string, unknown> =>
  resources[logicalId(s.stack, construct)]?.Properties ?? {};
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

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
    // Its app client and admin group too: deleted, the group's memberships (who is an administrator)
    // would go, and the client id is the audience of the pool's tokens (docs/deploy.md, "Changing
    // authentication").
    s.template.hasResource('AWS::Cognito::UserPoolClient', { DeletionPolicy: 'Retain' });
    s.template.hasResource('AWS::Cognito::UserPoolGroup', { DeletionPolicy: 'Retain' });
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
    dev.hasResource('AWS::Cognito::UserPoolClient', { DeletionPolicy: 'Delete' });
    dev.hasResource('AWS::Cognito::UserPoolGroup', { DeletionPolicy: 'Delete' });
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
    // Frames that match no action have a budget of their own, far below the stage's; no action route
    // has one: a route throttle is one budget for all clients, so one flooding client would throttle
    // everyone's frames of that action (`typing` once had 100/s). The per-user limits bound actions.
    expect(stage?.Properties.RouteSettings).toEqual({
      $default: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, DetailedMetricsEnabled: true },
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

  it('gives typing no route throttle: one flooding client must not throttle everyone’s typing', () => {
    const typing = ROUTES.find((r) => r.routeKey === 'typing');
    expect(typing).toBeDefined();
    expect(typing?.throttle).toBeUndefined();
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
