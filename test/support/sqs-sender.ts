/**
 * The queue producers over the SDK's SQS client, for the tests that mock it
 * (aws-sdk-client-mock): they check what the producers send, not how (`lambdas/queue/light-sqs.ts`,
 * tested in test/unit/light-sqs.test.ts, is how).
 */
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SqsSender } from '../../lambdas/queue/light-sqs.ts';

export const sdkSender = (client: SQSClient): SqsSender => ({
  sendMessageBatch: (input) =>
    client.send(new SendMessageBatchCommand({ ...input, Entries: [...input.Entries] })).then((out) => ({
      Successful: (out.Successful ?? []).map((s) => ({ ...s, Id: s.Id ?? '' })),
      Failed: (out.Failed ?? []).map((f) => ({ ...f, Id: f.Id ?? '' })),
    })),
  sendMessage: (input) => client.send(new SendMessageCommand(input)),
});
