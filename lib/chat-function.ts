/**
 * The one way this project builds a Lambda function, with every default fixed: Node.js 24 on arm64, an
 * ESM bundle (minified, AWS SDK bundled and tree-shaken, source maps on), active tracing, an explicit
 * log group with retention, Lambda's JSON log format, optional reserved concurrency, and a role that may
 * write to that log group and nothing else until a construct grants it more.
 */
import { resolve } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable, IPrincipal } from 'aws-cdk-lib/aws-iam';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROUTE_TIMEOUT_SECONDS } from '../lambdas/shared/config.ts';
import { METRICS_STACK_ENV } from '../lambdas/shared/metrics.ts';
import { BUNDLE, type BundleSettings, nodejsBundling } from './bundling.ts';
import { PROJECT_ROOT } from './project-root.ts';

export { PROJECT_ROOT };

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** The log settings a construct passes on to its functions: only those it was given (else the defaults). */
export function logSettings(props: {
  readonly logRetention?: RetentionDays | undefined;
  readonly logLevel?: LogLevel | undefined;
}): Pick<ChatFunctionProps, 'logRetention' | 'logLevel'> {
  return {
    ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    ...(props.logLevel ? { logLevel: props.logLevel } : {}),
  };
}

export interface ChatFunctionProps {
  /** Handler module (TypeScript) exporting `handler`, relative to the repository root. */
  readonly entry: string;
  /**
   * Description of the function.
   * @default - none
   */
  readonly description?: string;
  /**
   * Environment variables, added to `NODE_OPTIONS` and `LOG_LEVEL`.
   * @default - no extra variables
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Memory in MB (CPU scales with it; 256 MB keeps cold starts short at a low price).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout. API Gateway gives up on an integration after 29 seconds.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group when the function is removed.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Threshold of the structured JSON logger (`LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * Reserved concurrency: the most instances of this function that run at once, and capacity no other
   * function of the account may take. Lambda refuses it unless 100 of the account's concurrency stay
   * unreserved (a new account's quota may be as low as 10: see docs/deploy.md).
   * @default - none: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrency?: number;
  /**
   * How the handler is bundled (e.g. with the pre-send hook aliased in: lib/pre-send-hook.ts).
   * @default BUNDLE, the shared settings (lib/bundling.ts)
   */
  readonly bundle?: BundleSettings;
}

export class ChatFunction extends Construct implements IGrantable {
  /** The Lambda function. */
  readonly function: NodejsFunction;
  /** Absolute path of the handler module. */
  readonly entry: string;
  /** The function's log group. */
  readonly logGroup: LogGroup;
  /** The function's execution role. */
  readonly role: Role;
  /** The settings its bundle is built with (what tests and `npm run bundle-size` rebuild). */
  readonly bundle: BundleSettings;
  readonly grantPrincipal: IPrincipal;

  constructor(scope: Construct, id: string, props: ChatFunctionProps) {
    super(scope, id);
    this.entry = resolve(PROJECT_ROOT, props.entry);
    this.bundle = props.bundle ?? BUNDLE;
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: it may write to this log group only.
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: this.entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: resolve(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(ROUTE_TIMEOUT_SECONDS),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      bundling: nodejsBundling(this.bundle),
      // The app writes JSON lines (lambdas/shared/logger.ts, EMF metrics): Lambda keeps them as they
      // are and reads their `level`. It filters nothing itself (TRACE): LOG_LEVEL does, in the logger,
      // and the EMF lines, which carry no level, must never be dropped.
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.TRACE,
      systemLogLevelV2: SystemLogLevel.INFO,
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      ...(props.description ? { description: props.description } : {}),
      environment: {
        // Every function emits its business metrics (lambdas/shared/metrics.ts) under its stack's
        // name: routes, workers, the dispatcher and the stream consumers alike.
        [METRICS_STACK_ENV]: Stack.of(this).stackName,
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
        LOG_LEVEL: props.logLevel ?? 'INFO',
      },
    });
    this.grantPrincipal = this.role;

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });
  }
}
