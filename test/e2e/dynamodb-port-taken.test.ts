/**
 * DynamoDB Local's port taken between the pick and Java's bind (a CI flake: "Failed to bind to
 * 127.0.0.1:37609" in a busy run). A port it picked itself is picked again; a port it was given is
 * never changed, and its start fails at once, naming the port. The first pick here is a port already
 * taken: by the run's own DynamoDB Local (which answers the start-up probe as if it were this one), or
 * by a listener that accepts connections and never answers.
 */
import { createServer, type Server } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { LOOPBACK_HOST } from '../../local/defaults.ts';
import { type DynamoLocal, freePort, startDynamoLocal } from '../../local/dynamodb.ts';

const started: DynamoLocal[] = [];
const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(started.map((d) => d.stop()));
  for (const server of servers) server.close();
});

/** A listener on a free port that accepts connections and never answers. */
async function silentListener(): Promise<number> {
  const server = createServer(() => undefined);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK_HOST, resolve));
  return (server.address() as { port: number }).port;
}

/** A picker whose first pick is `taken`, then free ports; it counts its picks. */
function pickerTakingFirst(taken: number) {
  const picked: number[] = [];
  return {
    picked,
    pickPort: async () => {
      const port = picked.length === 0 ? taken : await freePort();
      picked.push(port);
      return port;
    },
  };
}

describe('DynamoDB Local on a port taken before it binds', () => {
  it('picks again when the port it picked is taken by another DynamoDB Local, and starts on its own', async () => {
    const runs = Number(new URL(inject('dynamoEndpoint')).port);
    const picker = pickerTakingFirst(runs);
    const dynamo = await startDynamoLocal({ pickPort: picker.pickPort });
    started.push(dynamo);
    expect(picker.picked).toHaveLength(2);
    expect(dynamo.port).toBe(picker.picked[1]);
    expect(dynamo.process.exitCode).toBeNull();
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint });
    await expect(client.send(new ListTablesCommand({}))).resolves.toMatchObject({ TableNames: [] });
    client.destroy();
  }, 90_000);

  it('picks again on every interface too (the plain jar): a listener that holds the probe does not hold the start', async () => {
    const picker = pickerTakingFirst(await silentListener());
    const dynamo = await startDynamoLocal({ host: '0.0.0.0', pickPort: picker.pickPort });
    started.push(dynamo);
    expect(picker.picked).toHaveLength(2);
    expect(dynamo.port).toBe(picker.picked[1]);
    expect(dynamo.process.exitCode).toBeNull();
  }, 90_000);

  it('fails on a port it was given that is taken, naming it, and never picks another (it hung before)', async () => {
    const taken = await silentListener();
    const picker = pickerTakingFirst(taken);
    const outcome = await startDynamoLocal({ port: taken, pickPort: picker.pickPort }).then(
      (dynamo) => {
        started.push(dynamo);
        return 'started';
      },
      (error: Error) => error.message,
    );
    expect(outcome).toContain(`port ${taken} is in use`);
    expect(picker.picked).toEqual([]);
  }, 90_000);
});
