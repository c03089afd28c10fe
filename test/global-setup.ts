/**
 * Starts DynamoDB Local once for the whole test run; every test file creates its own table in it.
 *
 * Also points `AWS_CALL_LOG_DIR` at a fresh `.aws-calls/` (unless set): every AWS call the handlers make
 * during the run is recorded there, and `scripts/check-iam.ts` (run after vitest by `npm test`) proves
 * the synthesized IAM policies allow exactly those calls; and every environment variable each function
 * uses (`env/`, lambdas/shared/env-use.ts), which `scripts/check-env.ts` proves its definition sets.
 *
 * Runs DynamoDB Local with the quick JVM options (`QUICK_JAVA_OPTIONS` in local/dynamodb.ts), unless
 * the developer set `DYNAMODB_JAVA_OPTIONS`: theirs replace them. The tests learn which through
 * `inject('dynamoJavaOptions')`.
 *
 * And gives the run a temporary directory of its own (`TMPDIR`, read by `os.tmpdir()` in every worker
 * and child process), removed when the run ends: every CDK `App` without an `outdir` synthesizes
 * into a fresh `cdk.out*` directory under it (about a hundred of them, 0.7 MB each, per run), and
 * the local stand-ins keep their data there. Without it they piled up in the machine's `/tmp`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { CALL_LOG_DIR_ENV } from '../lambdas/shared/call-recorder.ts';
import {
  type DynamoLocal,
  JAVA_OPTIONS_ENV,
  QUICK_JAVA_OPTIONS,
  startDynamoLocal,
} from '../local/dynamodb.ts';

/**
 * The JVM options this run gives DynamoDB Local: the developer's `DYNAMODB_JAVA_OPTIONS` when set
 * (even empty: none), else the quick ones.
 */
export function runJavaOptions(env: NodeJS.ProcessEnv): string {
  return env[JAVA_OPTIONS_ENV] ?? QUICK_JAVA_OPTIONS;
}

let dynamo: DynamoLocal | undefined;
let runTmp: string | undefined;
let previousTmp: string | undefined;

function removeRunTmp(): void {
  if (previousTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmp;
  if (runTmp) rmSync(runTmp, { recursive: true, force: true });
  runTmp = undefined;
}

export async function setup(project: TestProject): Promise<void> {
  runTmp = mkdtempSync(join(tmpdir(), 'chat-test-run-'));
  previousTmp = process.env.TMPDIR;
  process.env.TMPDIR = runTmp;
  const callLog = process.env[CALL_LOG_DIR_ENV] ?? resolve(import.meta.dirname, '..', '.aws-calls');
  rmSync(callLog, { recursive: true, force: true });
  mkdirSync(callLog, { recursive: true });
  process.env[CALL_LOG_DIR_ENV] = callLog;
  // This DynamoDB Local, and every other one the run starts (the workers and their `npm run dev`
  // children inherit it), with the quick JVM options unless the caller chose others.
  const javaOptions = runJavaOptions(process.env);
  process.env[JAVA_OPTIONS_ENV] = javaOptions;
  try {
    dynamo = await startDynamoLocal();
  } catch (error) {
    removeRunTmp();
    throw error;
  }
  project.provide('dynamoEndpoint', dynamo.endpoint);
  project.provide('dynamoJavaOptions', javaOptions);
}

export async function teardown(): Promise<void> {
  try {
    await dynamo?.stop();
  } finally {
    removeRunTmp();
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    /** `DYNAMODB_JAVA_OPTIONS` as this run set it for every DynamoDB Local (runJavaOptions). */
    dynamoJavaOptions: string;
  }
}
