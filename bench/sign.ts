/**
 * Signing one light-path POST: the SDK's `SignatureV4` (as the light paths used it before) against
 * `PostSigner` (lambdas/shared/sigv4.ts), alternating round by round in one process. Per request:
 * wall time and this process's CPU, for a DynamoDB call of about 1 KB and a post of 200 bytes.
 *
 *   npx tsx bench/sign.ts [requests per round=5000] [rounds=4]
 *
 * Prints one JSON line: per kind and signer, the median over rounds of µs per request.
 */

import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { PostSigner } from '../lambdas/shared/sigv4.ts';
import { median } from './scenarios/measure.ts';

const requests = Number(process.argv[2] ?? 5000);
const rounds = Number(process.argv[3] ?? 4);
const credentials = {
  accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  // A Lambda function's credentials carry a session token of several hundred characters.
  sessionToken: 'IQoJb3JpZ2luX2VjE'.repeat(40),
};
const provider = async () => credentials;
const kinds = {
  dynamodb: {
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.PutItem' },
    body: Buffer.from(
      JSON.stringify({ TableName: 't', Item: { pk: { S: 'CHAT#c' }, text: { S: 'x'.repeat(1000) } } }),
    ),
  },
  'execute-api': {
    path: '/prod/@connections/kP3b5EgP2F%2BupLg%3D',
    headers: {},
    body: Buffer.from(JSON.stringify({ type: 'message.created', text: 'y'.repeat(150) })),
  },
};
type Kind = keyof typeof kinds;
const host = 'example.execute-api.eu-west-1.amazonaws.com';
const sdk = Object.fromEntries(
  Object.keys(kinds).map((service) => [
    service,
    // The SDK clients' own hash (`Sha256` of @smithy/core), as the light paths gave it before.
    new SignatureV4({ service, region: 'eu-west-1', credentials: provider, sha256: Sha256 }),
  ]),
) as Record<Kind, SignatureV4>;
const lean = Object.fromEntries(
  Object.keys(kinds).map((service) => [service, new PostSigner('eu-west-1', service)]),
) as Record<Kind, PostSigner>;

const signers = {
  sdk: async (kind: Kind) => {
    const k = kinds[kind];
    const headers = { host, ...k.headers, 'content-length': String(k.body.length) };
    const request = {
      method: 'POST',
      protocol: 'https:',
      hostname: host,
      path: k.path,
      query: {},
      headers,
      body: k.body,
    };
    return (await sdk[kind].sign(request, { signingDate: new Date() })).headers;
  },
  light: async (kind: Kind) => {
    const k = kinds[kind];
    const headers = { host, ...k.headers, 'content-length': String(k.body.length) };
    return lean[kind].sign({ path: k.path, headers, body: k.body }, await provider(), new Date());
  },
};

const samples: Record<string, { wall: number[]; cpu: number[] }> = {};
for (let round = 0; round <= rounds; round++) {
  for (const kind of Object.keys(kinds) as Kind[]) {
    for (const [name, sign] of Object.entries(signers)) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < requests; i++) await sign(kind);
      const cpu = process.cpuUsage(cpu0);
      if (round === 0) continue; // warms up both
      const entry = samples[`${kind} ${name}`] ?? { wall: [], cpu: [] };
      samples[`${kind} ${name}`] = entry;
      entry.wall.push(((performance.now() - t0) * 1000) / requests);
      entry.cpu.push((cpu.user + cpu.system) / requests);
    }
  }
}
const us = (values: number[]) => Math.round(median(values) * 10) / 10;
console.log(
  JSON.stringify(
    Object.fromEntries(
      Object.entries(samples).map(([k, v]) => [k, { wallUs: us(v.wall), cpuUs: us(v.cpu) }]),
    ),
  ),
);
