/**
 * The alarms of one construct (route functions, stream consumers, queue workers, scheduled messages):
 * each raised when its metric reaches the threshold, missing data not breaching unless told otherwise,
 * and its state changes (ALARM and OK) sent to the stack's alarm topic when there is one.
 */
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { ChatFunction } from './chat-function.ts';
import { PERIOD } from './metrics.ts';

/**
 * What the alarm of a queue that keeps what failed (a dead-letter or on-failure queue: 14 days, read by
 * nothing) adds to its description. Its metric is a level (messages visible), so it stays in ALARM
 * while one message is there, and notifications go only on a change of state: a second failure
 * notifies nobody until the queue is emptied. A level alarm, rather than one on new arrivals, because
 * SQS counts no `NumberOfMessagesSent` for a message moved to a dead-letter queue by its redrive
 * policy, and a rise in the visible count (metric math on consecutive periods) has no earlier period
 * to compare with when the queue sat empty and idle: the first failure would go unnoticed.
 */
export const LATCHING_QUEUE_ALARM =
  'It stays in ALARM until the queue is emptied (purge or redrive it: docs/operations.md), and a later failure notifies nobody meanwhile.';

/** One alarm of a ChatAlarms. */
export interface ChatAlarmOptions {
  /** The metric (or metric math expression) watched. */
  readonly metric: IMetric;
  /** The alarm's description: what went wrong, for whoever is paged. */
  readonly description: string;
  /**
   * The value that raises the alarm.
   * @default 1
   */
  readonly threshold?: number;
  /**
   * Periods over which the metric is compared with the threshold.
   * @default 1
   */
  readonly evaluationPeriods?: number;
  /**
   * Periods (of `evaluationPeriods`) that must breach to raise the alarm.
   * @default - not set in the template; CloudWatch then takes `evaluationPeriods`
   */
  readonly datapointsToAlarm?: number;
  /**
   * How the metric is compared with the threshold.
   * @default ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
   */
  readonly comparisonOperator?: ComparisonOperator;
  /**
   * What a period without data counts as.
   * @default TreatMissingData.NOT_BREACHING
   */
  readonly treatMissingData?: TreatMissingData;
}

/** The construct ids of a function's alarms (ChatAlarms.addFunctionAlarms). */
export interface FunctionAlarmIds {
  /**
   * The `Errors` alarm's id.
   * @default - no errors alarm (the authorizer's errors include the tokens it refuses)
   */
  readonly errors?: string;
  /** The `Throttles` alarm's id. */
  readonly throttles: string;
}

/** The settings shared by the alarms of a ChatAlarms. */
export interface ChatAlarmsProps {
  /**
   * Where the alarms' state changes (ALARM and OK) go.
   * @default - no action; the alarms show in the console and on the dashboard
   */
  readonly topic?: ITopic;
  /**
   * Defaults for every alarm's options (an alarm's own options win).
   * @default - the options' own defaults
   */
  readonly defaults?: Omit<ChatAlarmOptions, 'metric' | 'description'>;
}

/** Creates the alarms of one construct, in that construct, and lists them. */
export class ChatAlarms {
  /** The alarms created so far, in creation order. */
  readonly all: Alarm[] = [];
  readonly #scope: Construct;
  readonly #props: ChatAlarmsProps;

  /** @param scope the construct the alarms belong to */
  constructor(scope: Construct, props: ChatAlarmsProps = {}) {
    this.#scope = scope;
    this.#props = props;
  }

  /** Adds the alarm `id` (its construct id in the scope). */
  add(id: string, options: ChatAlarmOptions): Alarm {
    const d = this.#props.defaults ?? {};
    const alarm = new Alarm(this.#scope, id, {
      metric: options.metric,
      threshold: options.threshold ?? d.threshold ?? 1,
      evaluationPeriods: options.evaluationPeriods ?? d.evaluationPeriods ?? 1,
      datapointsToAlarm: options.datapointsToAlarm ?? d.datapointsToAlarm,
      comparisonOperator:
        options.comparisonOperator ??
        d.comparisonOperator ??
        ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: options.treatMissingData ?? d.treatMissingData ?? TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    const topic = this.#props.topic;
    if (topic) {
      alarm.addAlarmAction(new SnsAction(topic));
      alarm.addOkAction(new SnsAction(topic));
    }
    this.all.push(alarm);
    return alarm;
  }

  /**
   * A function's `Errors` (any is a fault: handlers answer bad input with an error frame; an action
   * route's unexpected error is an `INTERNAL` frame, not an error: `InternalErrors`) and
   * `Throttles` alarms: sums over 5 minutes, raised at 1. The ids are the caller's, as deployed.
   */
  addFunctionAlarms(fn: ChatFunction, ids: FunctionAlarmIds): void {
    const name = fn.node.id;
    if (ids.errors) {
      this.add(ids.errors, {
        metric: fn.function.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        description: `${name}: the function failed`,
      });
    }
    this.add(ids.throttles, {
      metric: fn.function.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
      description: `${name}: invocations were throttled (concurrency limit)`,
    });
  }
}
