/**
 * The function bundles: the construct's bundling options are the shared ones, and real bundles built
 * with those options stay within the budget, carry the AWS SDK inside, and load and run as ESM in a fresh
 * `node` process. (`npm run bundle-size` measures every function from the synthesized assets.)
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { isBuiltin } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build } from 'esbuild';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  BUNDLE,
  BUNDLE_BUDGET_BYTES,
  ESM_REQUIRE_BANNER,
  esbuildOptions,
  nodejsBundling,
} from '../../lib/bundling.ts';
import { PROJECT_ROOT } from '../../lib/chat-function.ts';
import { findRoute } from '../../lib/routes.ts';
import { ensureTable } from '../../local/dynamodb-table.ts';

const execFileAsync = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'chat-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Builds a route's bundle; returns its path and the modules left for Node to resolve at runtime. */
async function bundle(routeKey: string): Promise<{ file: string; runtimeImports: string[] }> {
  const route = findRoute(routeKey);
  if (!route) throw new Error(`no route ${routeKey}`);
  const file = join(dir, `${route.name}.mjs`);
  const result = await build({ ...esbuildOptions(resolve(PROJECT_ROOT, route.entry), file), metafile: true });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const runtimeImports = [...new Set((output?.imports ?? []).filter((i) => i.external).map((i) => i.path))];
  return { file, runtimeImports };
}

/** Runs `script` (an ES module body) in a fresh node process with the bundle's URL in BUNDLE_URL. */
function runNode(file: string, script: string, extraEnv: Record<string, string> = {}): string {
  return execFileSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      BUNDLE_URL: pathToFileURL(file).href,
      AWS_REGION: 'eu-west-1',
      TABLE_NAME: 'chat',
      LOG_LEVEL: 'ERROR',
      ...extraEnv,
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('bundling options', { timeout: 180_000 }, () => {
  it('are the shared settings: ESM, module-first, minified, source maps, SDK bundled, local esbuild', () => {
    expect(nodejsBundling()).toEqual({
      target: 'node24',
      format: OutputFormat.ESM,
      mainFields: ['module', 'main'],
      minify: true,
      sourceMap: true,
      sourcesContent: false,
      banner: ESM_REQUIRE_BANNER,
      externalModules: [],
      esbuildArgs: {
        '--alias:@aws-sdk/credential-provider-node': resolve(
          PROJECT_ROOT,
          'lambdas/shared/lambda-credentials.ts',
        ),
        '--alias:@aws-sdk/endpoint-cache': resolve(PROJECT_ROOT, 'lambdas/shared/endpoint-cache.ts'),
        '--alias:@smithy/core/event-streams': resolve(PROJECT_ROOT, 'lambdas/shared/no-event-streams.ts'),
      },
      bundleAwsSDK: true,
      forceDockerBundling: false,
    });
    expect(ESM_REQUIRE_BANNER).toBe(
      "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
    );
    const esb = esbuildOptions('in.ts', 'out.mjs');
    expect(esb).toMatchObject({
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: BUNDLE.target,
      mainFields: BUNDLE.mainFields,
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      banner: { js: ESM_REQUIRE_BANNER },
      external: [],
      alias: {
        '@aws-sdk/credential-provider-node': resolve(PROJECT_ROOT, 'lambdas/shared/lambda-credentials.ts'),
        '@aws-sdk/endpoint-cache': resolve(PROJECT_ROOT, 'lambdas/shared/endpoint-cache.ts'),
        '@smithy/core/event-streams': resolve(PROJECT_ROOT, 'lambdas/shared/no-event-streams.ts'),
      },
    });
  });
});

describe('SDK clients loaded on first use', () => {
  it('come from a module of named re-exports, never from `await import` of the package', () => {
    // `await import('@aws-sdk/client-secrets-manager')` keeps the whole package in the bundle (every
    // command, error and schema): 4.5 KB more than the named re-exports of
    // lambdas/shared/secrets-commands.ts.
    const root = resolve(PROJECT_ROOT, 'lambdas');
    const offenders = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /\bimport\s*\(\s*['"`]@aws-sdk\//.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

describe('a real bundle', { timeout: 180_000 }, () => {
  it('$connect (DynamoDB + Management API clients): within budget, SDK inside, loads as ESM', async () => {
    const { file, runtimeImports } = await bundle('$connect');
    const bytes = statSync(file).size;
    expect(bytes).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
    // Nothing is left to resolve at runtime but Node built-ins: the SDK is inside the bundle.
    expect(runtimeImports.filter((path) => !isBuiltin(path))).toEqual([]);
    expect(runtimeImports.length).toBeGreaterThan(0);
    const code = readFileSync(file, 'utf8');
    expect(code).toContain('DynamoDB');
    // The endpoint cache is the stand-in (lambdas/shared/endpoint-cache.ts), not mnemonist's LRU cache.
    expect(code).toContain('endpoint cache: capacity should be positive number.');
    expect(code).not.toContain('mnemonist');
    // Event streams are the stand-in (lambdas/shared/no-event-streams.ts): no codec, no marshaller.
    expect(code).toContain('Event streams are not in this bundle');
    expect(code).not.toContain(':event-type');
    expect(code.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(statSync(`${file}.map`).size).toBeGreaterThan(0);
    const out = runNode(
      file,
      'const m = await import(process.env.BUNDLE_URL); process.stdout.write(typeof m.handler);',
    );
    expect(out).toBe('function');
  });

  it('SDK clients take Lambda’s environment credentials; the rest of the default chain is not bundled', async () => {
    const file = join(dir, 'credentials.mjs');
    await build(esbuildOptions(resolve(PROJECT_ROOT, 'test/cdk/fixtures/credentials-entry.ts'), file));
    const code = readFileSync(file, 'utf8');
    for (const link of ['fromSSO', 'fromIni', 'fromProcess', 'fromTokenFile', 'fromInstanceMetadata']) {
      expect(code).not.toContain(link);
    }
    const script = `const m = await import(process.env.BUNDLE_URL);
      try { process.stdout.write(JSON.stringify(await m.resolveCredentials())); }
      catch (e) { process.stdout.write(JSON.stringify({ error: e.message })); }`;
    const lambdaEnv = {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session',
    };
    expect(JSON.parse(runNode(file, script, lambdaEnv))).toEqual({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'session',
    });
    expect(JSON.parse(runNode(file, script)).error).toMatch(/No AWS credentials in the environment/);
    // The endpoint cache the client builds is the stand-in, and it works.
    expect(code).not.toContain('mnemonist');
    const cache = runNode(
      file,
      'const m = await import(process.env.BUNDLE_URL); process.stdout.write(String(m.endpointCacheWorks()));',
    );
    expect(cache).toBe('true');
  });

  it('calls DynamoDB and the Management API through the SDK without event-stream support, which fails loudly if reached', async () => {
    const file = join(dir, 'sdk-calls.mjs');
    await build(esbuildOptions(resolve(PROJECT_ROOT, 'test/cdk/fixtures/sdk-calls-entry.ts'), file));
    const server = createServer((req, res) => {
      req.resume();
      if (req.url?.startsWith('/@connections/')) return res.writeHead(200).end();
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ Item: { pk: { S: 'x' }, n: { N: '7' } } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const script = `const m = await import(process.env.BUNDLE_URL);
        process.stdout.write(JSON.stringify(await m.callBoth(${JSON.stringify(endpoint)})));`;
      // Asynchronously: the server answers from this process meanwhile.
      const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH ?? '', BUNDLE_URL: pathToFileURL(file).href },
        timeout: 20_000,
      });
      const unbundled = expect.stringMatching(/^Event streams are not in this bundle .*lib\/bundling\.ts/);
      expect(JSON.parse(stdout)).toEqual({
        item: { pk: { S: 'x' }, n: { N: '7' } },
        posted: 200,
        eventStreams: [unbundled, unbundled],
      });
    } finally {
      server.close();
    }
  });

  it('ping: the bundled handler answers a frame (its rate-limit lease written to DynamoDB Local)', async () => {
    const { file } = await bundle('ping');
    const tableName = `bundle-ping-${Date.now()}`;
    await ensureTable(inject('dynamoEndpoint'), tableName);
    expect(statSync(file).size).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
    const event = {
      requestContext: {
        routeKey: 'ping',
        connectionId: 'conn-1',
        requestId: 'req-1',
        eventType: 'MESSAGE',
        authorizer: { userId: 'alice', name: 'Alice' },
      },
      body: JSON.stringify({ action: 'ping', requestId: 'r-1' }),
      isBase64Encoded: false,
    };
    const out = runNode(
      file,
      `const m = await import(process.env.BUNDLE_URL);
       const result = await m.handler(${JSON.stringify(event)}, { awsRequestId: 'aws-1' });
       process.stdout.write(JSON.stringify(result));`,
      {
        TABLE_NAME: tableName,
        DYNAMODB_ENDPOINT: inject('dynamoEndpoint'),
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
      },
    );
    const result = JSON.parse(out) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ type: 'pong', action: 'ping', requestId: 'r-1' });
  });
});
