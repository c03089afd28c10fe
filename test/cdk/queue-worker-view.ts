/**
 * What the queue-worker CDK tests (workers.test.ts, retention-worker.test.ts) read of one
 * `QueueWorker` (lib/queue-worker.ts) in a synthesized stack: its queues' logical ids, their TLS
 * policies, the event source mapping, the worker's environment and its statements by service.
 */
import type { ChatFunction } from '../../lib/chat-function.ts';
import type { ChatStack } from '../../lib/chat-stack.ts';
import type { QueueWorker } from '../../lib/queue-worker.ts';
import {
  actionsOf,
  logicalId,
  type Resources,
  type Statement,
  type Synthesized,
  statementsOf,
} from './support.ts';

/** What a worker may do on its own queue: consume it, and send continuation jobs or retries to it. */
export const WORKER_QUEUE_ACTIONS = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:ReceiveMessage',
  'sqs:SendMessage',
].sort();

/** Read in hooks and tests only (the stack is synthesized before them: `useSynth`). */
export function queueWorkerView(
  s: Synthesized,
  resources: Resources,
  pick: (stack: ChatStack) => QueueWorker,
) {
  const propsOf = (id: string) => resources[id]?.Properties ?? {};
  const queueId = () => logicalId(s.stack, pick(s.stack).queue);
  const queueArn = () => ({ 'Fn::GetAtt': [queueId(), 'Arn'] });
  return {
    propsOf,
    queueId,
    dlqId: () => logicalId(s.stack, pick(s.stack).deadLetterQueue),
    queueArn,
    /** The queue policies of a queue, as JSON. */
    policiesOf: (id: string) =>
      JSON.stringify(
        Object.values(resources).filter(
          (r) => r.Type === 'AWS::SQS::QueuePolicy' && JSON.stringify(r.Properties.Queues).includes(id),
        ),
      ),
    /** The event source mappings that read the queue. */
    mappings: () =>
      Object.values(resources).filter(
        (r) =>
          r.Type === 'AWS::Lambda::EventSourceMapping' &&
          JSON.stringify(r.Properties.EventSourceArn) === JSON.stringify(queueArn()),
      ),
    /** A function's environment variables. */
    envOf: (fn: ChatFunction) =>
      (propsOf(logicalId(s.stack, fn.function)).Environment as { Variables: Record<string, unknown> })
        .Variables,
    /** The worker's statements with an action of this service (`dynamodb:`, `sqs:`, …). */
    workerStatements: (prefix: string): Statement[] =>
      statementsOf(s, pick(s.stack).worker).filter((st) => actionsOf(st).some((a) => a.startsWith(prefix))),
  };
}
