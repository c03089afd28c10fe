/**
 * The SQS client and the commands this project sends, loaded on first use (`await import` of this
 * module): named imports let the bundler keep only these, where importing the package itself would
 * keep all of it (every command, error and schema).
 */
export { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
