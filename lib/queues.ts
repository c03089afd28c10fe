/**
 * The stack's SQS queues, one way: every queue is encrypted with SQS-managed keys and refuses
 * anything but TLS (cdk-nag's AwsSolutions-SQS4), whatever it carries; a queue that keeps what failed
 * (a dead-letter queue, a stream consumer's on-failure destination) keeps it 14 days, the most SQS
 * allows, so that it can be looked at and redriven.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** A queue with the stack's encryption and TLS settings. */
export function secureQueue(
  scope: Construct,
  id: string,
  props: Omit<QueueProps, 'encryption' | 'enforceSSL'>,
): Queue {
  return new Queue(scope, id, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, ...props });
}

/** A queue for what failed: kept 14 days. */
export function failureQueue(scope: Construct, id: string, removalPolicy: RemovalPolicy): Queue {
  return secureQueue(scope, id, { retentionPeriod: Duration.days(14), removalPolicy });
}
