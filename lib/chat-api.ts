/**
 * The WebSocket API: `$request.body.action` route selection, one route and one function per entry of the
 * route table (lib/routes.ts), a Lambda REQUEST authorizer on `$connect` only, and one stage with
 * throttling (stage default plus each route's `throttle`) and JSON access logs. Its props, defaults and
 * their checks are in lib/chat-api-props.ts (re-exported here).
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  LogGroupLogDestination,
  WebSocketApi,
  type WebSocketRoute,
  WebSocketStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Grant, ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FANOUT_CONCURRENCY_ENV } from '../lambdas/shared/config.ts';
import {
  ACCESS_LOG_FORMAT,
  type ChatApiProps,
  DEFAULT_THROTTLE,
  reservedConcurrencyOf,
} from './chat-api-props.ts';
import { ChatFunction } from './chat-function.ts';
import type { ChatMedia } from './chat-media.ts';
import { acknowledgeWildcardResource } from './nag.ts';
import { hookFor } from './pre-send-hook.ts';
import { AUTHORIZER, ROUTES, type RouteDefinition } from './routes.ts';
import { MANAGEMENT_ENDPOINT_ENV, TABLE_NAME_ENV } from './table.ts';

export * from './chat-api-props.ts';

/** `FANOUT_CONCURRENCY` for the functions that post, when set (1–1,000 posts in flight). */
function fanOutEnvironmentOf(concurrency: number | undefined): Readonly<Record<string, string>> {
  if (concurrency === undefined) return {};
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    throw new Error(`fanOutConcurrency must be a whole number of posts from 1 to 1000, not ${concurrency}`);
  }
  return { [FANOUT_CONCURRENCY_ENV]: String(concurrency) };
}

/** Construct ids CDK gives a meaning of their own: a route named so would be its parent's default child. */
const RESERVED_IDS = new Set(['Default', 'Resource']);

export class ChatApi extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly authorizerFunction: ChatFunction;
  /** The function of each route, by route key. */
  readonly functions: ReadonlyMap<string, ChatFunction>;
  /** The route of each route key. */
  readonly routes: ReadonlyMap<string, WebSocketRoute>;
  readonly accessLogs: LogGroup;
  /**
   * The fan-out's posts in flight for every function that posts (ChatApiProps.fanOutConcurrency):
   * empty when the deployment keeps the functions' default.
   */
  readonly fanOutEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: ChatApiProps) {
    super(scope, id);
    const routes = props.routes ?? ROUTES;
    const stageName = props.stageName ?? 'prod';
    const throttle = props.throttle ?? DEFAULT_THROTTLE;
    const removal = props.destroyable ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const functionDefaults = {
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      logRemovalPolicy: removal,
      logLevel: props.logLevel ?? 'INFO',
    } as const;
    const detailedMetrics = props.detailedMetrics ?? true;
    const reserved = reservedConcurrencyOf(props.reservedConcurrency ?? {}, [
      AUTHORIZER.name,
      ...routes.map((r) => r.name),
      ...(props.otherFunctionNames ?? []),
    ]);
    this.fanOutEnvironment = fanOutEnvironmentOf(props.fanOutConcurrency);

    this.api = new WebSocketApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-chat`,
      description: 'Chat WebSocket API (wire protocol v1)',
      routeSelectionExpression: '$request.body.action',
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: functionDefaults.logRetention,
      removalPolicy: removal,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName,
      autoDeploy: true,
      throttle: { rateLimit: throttle.rateLimit, burstLimit: throttle.burstLimit },
      detailedMetricsEnabled: detailedMetrics,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });
    if (props.configureAccountLogging ?? true) this.configureAccountLogging();

    // The authorizer: verifies the token, may read the HS256 secret (in that mode) and nothing else.
    this.authorizerFunction = new ChatFunction(this, AUTHORIZER.name, {
      ...functionDefaults,
      entry: AUTHORIZER.entry,
      description: 'Chat $connect authorizer',
      environment: { ...props.auth.environment },
      ...reserved(AUTHORIZER.name),
    });
    props.auth.grantVerify(this.authorizerFunction);
    const authorizer = new WebSocketLambdaAuthorizer(AUTHORIZER.name, this.authorizerFunction.function, {
      identitySource: [`route.request.querystring.${AUTHORIZER.queryParameter}`],
    });

    const functions = new Map<string, ChatFunction>();
    const wsRoutes = new Map<string, WebSocketRoute>();
    const routeSettings: Record<
      string,
      { ThrottlingRateLimit: number; ThrottlingBurstLimit: number; DetailedMetricsEnabled: boolean }
    > = {};
    for (const def of routes) {
      if (functions.has(def.routeKey))
        throw new Error(`route ${def.routeKey} appears twice in the route table`);
      if (RESERVED_IDS.has(def.name) || def.name === AUTHORIZER.name)
        throw new Error(`route ${def.routeKey}: the name ${def.name} is reserved; choose another`);
      const hook = hookFor(def.name, props.preSendHook);
      const fn = new ChatFunction(this, def.name, {
        ...functionDefaults,
        entry: def.entry,
        description: `Chat route ${def.routeKey}`,
        environment: {
          ...hook?.environment,
          [TABLE_NAME_ENV]: props.table.tableName,
          [MANAGEMENT_ENDPOINT_ENV]: this.stage.callbackUrl,
          ...(def.postsEvents ? this.fanOutEnvironment : {}),
          ...(def.mediaActions?.length ? this.mediaOf(props, def).environment : {}),
        },
        ...(hook ? { bundle: hook.bundle } : {}),
        ...reserved(def.name),
      });
      props.table.grantActions(fn, def.tableActions);
      if (def.mediaActions?.length) this.mediaOf(props, def).grantActions(fn, def.mediaActions);
      if (def.managementApi) this.grantManageConnections(fn);

      const route = this.api.addRoute(def.routeKey, {
        integration: new WebSocketLambdaIntegration(`${def.name}Integration`, fn.function),
        returnResponse: def.returnResponse,
        ...(def.routeKey === '$connect' ? { authorizer } : {}),
      });
      if (def.routeKey !== '$connect') {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'API Gateway WebSocket APIs authorize $connect only; every later message on the socket carries the identity the $connect authorizer established.',
        });
      }
      if (def.throttle) {
        // A route's settings replace the stage defaults for that route: repeat the metrics setting.
        routeSettings[def.routeKey] = {
          ThrottlingRateLimit: def.throttle.rateLimit,
          ThrottlingBurstLimit: def.throttle.burstLimit,
          DetailedMetricsEnabled: detailedMetrics,
        };
      }
      // The stage's first deployment (and its route settings) needs every route in place.
      this.stage.node.addDependency(route);
      functions.set(def.routeKey, fn);
      wsRoutes.set(def.routeKey, route);
    }
    if (Object.keys(routeSettings).length > 0) {
      (this.stage.node.defaultChild as CfnStage).routeSettings = routeSettings;
    }
    this.functions = functions;
    this.routes = wsRoutes;
  }

  private mediaOf(props: ChatApiProps, def: RouteDefinition): ChatMedia {
    if (!props.media) throw new Error(`route ${def.routeKey} needs the media bucket (ChatApiProps.media)`);
    return props.media;
  }

  /** ARN of this stage's @connections resource (any method, any connection id). */
  get connectionsArn(): string {
    const apiArn = Stack.of(this).formatArn({ service: 'execute-api', resource: this.api.apiId });
    return `${apiArn}/${this.stage.stageName}/*/@connections/*`;
  }

  /**
   * Lets `grantee` post to, read and delete (disconnect) this stage's connections through the Management API:
   * `execute-api:ManageConnections` on the stage's @connections resource only.
   */
  grantManageConnections(grantee: ChatFunction): Grant {
    const grant = Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:ManageConnections'],
      resourceArns: [this.connectionsArn],
    });
    acknowledgeWildcardResource(
      grantee.role,
      this.connectionsArn,
      "Connection ids are only known at runtime; the grant is limited to this stage's @connections resource.",
    );
    return grant;
  }

  /** The `wss://` URL clients connect to. */
  get url(): string {
    return this.stage.url;
  }

  /** Every function of the API: the authorizer first, then the routes in route-table order. */
  get allFunctions(): readonly ChatFunction[] {
    return [this.authorizerFunction, ...this.functions.values()];
  }

  private configureAccountLogging(): void {
    const role = new Role(this, 'ApiGatewayCloudWatchRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [
        ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    // Account-wide: other APIs of the account may rely on it after this stack is gone.
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.stage.node.addDependency(account);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-wide logging role must write to the log groups of every API in the account and region; AWS maintains this managed policy for exactly that.",
    });
  }
}
