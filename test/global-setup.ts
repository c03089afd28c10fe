/**
 * Starts DynamoDB Local once for the whole test run; every test file creates its own table in it.
 */
import type { TestProject } from 'vitest/node';
import { type DynamoLocal, startDynamoLocal } from '../local/dynamodb.ts';

let dynamo: DynamoLocal | undefined;

export async function setup(project: TestProject): Promise<void> {
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
