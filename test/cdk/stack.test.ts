/**
 * The chat stack as CloudFormation: routes and functions from the route table, the `$connect` authorizer
 * and function defaults (the table, stage and outputs: stack-resources.test.ts).
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../../lambdas/contract/index.ts';
import { PROJECT_ROOT } from '../../lib/chat-function.ts';
import { PLANNED_ACTIONS, ROUTES, type RouteDefinition } from '../../lib/routes.ts';
import { actionsOf, logicalId, NO_BUNDLING, statementsOf, useSynth } from './support.ts';

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
