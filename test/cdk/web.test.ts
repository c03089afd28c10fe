/**
 * The web chat's local parts never reach a deployed stack: no route, API, distribution or website
 * serves the page or mints dev tokens, and no function's bundle contains local/ (the dev-token
 * endpoint, the dev signer) or web/. The deployable page is a separate static build (docs/web.md).
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLE } from '../../lib/bundling.ts';
import { PROJECT_ROOT } from '../../lib/chat-function.ts';
import { AUTHORIZER, ROUTES } from '../../lib/routes.ts';
import { SCHEDULED_FUNCTIONS } from '../../lib/scheduled-functions.ts';
import { WORKERS } from '../../lib/workers.ts';
import { synth } from './support.ts';

describe('the deployed stack and the web chat', () => {
  it('has no dev-token endpoint, no web page route and no HTTP API or website', () => {
    const { template } = synth();
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toMatch(/_local|dev-token|dev-users/);
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => (r as { Properties: { RouteKey: string } }).Properties.RouteKey,
    );
    expect(routes.length).toBeGreaterThan(0);
    for (const key of routes) expect(key).not.toMatch(/^(GET|POST|ANY) |_local|token/);
    const apis = Object.values(template.findResources('AWS::ApiGatewayV2::Api')).map(
      (r) => (r as { Properties: { ProtocolType: string } }).Properties.ProtocolType,
    );
    expect(apis).toEqual(['WEBSOCKET']);
    expect(template.findResources('AWS::CloudFront::Distribution')).toEqual({});
    expect(template.findResources('AWS::ApiGateway::RestApi')).toEqual({});
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(
        (bucket as { Properties?: Record<string, unknown> }).Properties?.WebsiteConfiguration,
      ).toBeUndefined();
    }
  });

  it('bundles no module of local/ or web/ into any function', async () => {
    const entries = [
      ...ROUTES.map((r) => r.entry),
      AUTHORIZER.entry,
      ...WORKERS.map((w) => w.entry),
      ...Object.values(SCHEDULED_FUNCTIONS).map((f) => f.entry),
    ];
    const result = await build({
      entryPoints: [...new Set(entries)].map((e) => resolve(PROJECT_ROOT, e)),
      outdir: resolve(PROJECT_ROOT, 'cdk.out/web-test'),
      write: false,
      bundle: true,
      // One chunk per shared module instead of a copy of the SDK per function: only the inputs count.
      splitting: true,
      metafile: true,
      platform: 'node',
      format: 'esm',
      target: BUNDLE.target,
      external: [...BUNDLE.externalModules],
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.startsWith('lambdas/'))).toBe(true);
    expect(inputs.filter((i) => /^(local|web)\//.test(i))).toEqual([]);
  });
});
