/**
 * Starts DynamoDB Local once for the whole test run; every test file creates its own table in it.
 *
 * Also points `AWS_CALL_LOG_DIR` at a fresh `.aws-calls/` (unless set): every AWS call the handlers make
 * during the run is recorded there, and `scripts/check-iam.ts` (run after vitest by `npm test`) proves
 * the synthesized IAM policies allow exactly those calls.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { CALL_LOG_DIR_ENV } from '../lambdas/shared/call-recorder.ts';
import { type DynamoLocal, startDynamoLocal } from '../local/dynamodb.ts';

let dynamo: DynamoLocal | undefined;

export async function setup(project: TestProject): Promise<void> {
  const callLog = process.env[CALL_LOG_DIR_ENV] ?? resolve(import.meta.dirname, '..', '.aws-calls');
  rmSync(callLog, { recursive: true, force: true });
  mkdirSync(callLog, { recursive: true });
  process.env[CALL_LOG_DIR_ENV] = callLog;
  dynamo = await startDynamoLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown(): Promise<void> {
  await dynamo?.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
