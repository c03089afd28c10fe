/**
 * How every function is bundled. One options object feeds both the CDK construct
 * (`lib/chat-function.ts`, through `nodejsBundling`) and the bundle-size measurements
 * (`scripts/bundle-size.ts` and `test/cdk/bundle.test.ts`, through `esbuildOptions`), so what is measured
 * is what is deployed and the two cannot drift.
 */
import { resolve } from 'node:path';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * ESM bundles may contain CommonJS code that calls `require` for Node built-ins; give it one.
 * (The same banner Powertools for AWS Lambda documents for ESM bundles.)
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export interface BundleSettings {
  /** esbuild target; matches the Lambda runtime (nodejs24.x). */
  readonly target: string;
  /** Output format of the bundle. */
  readonly format: 'esm';
  /** Package entry fields, ESM first so that the AWS SDK v3 is tree-shaken from its ES modules. */
  readonly mainFields: readonly string[];
  readonly minify: boolean;
  /** Emit `index.mjs.map`; the functions run with `--enable-source-maps`. */
  readonly sourceMap: boolean;
  /** Embed the original sources in the map. Off: stack traces need the mappings only, and a smaller map parses faster at cold start. */
  readonly sourcesContent: boolean;
  readonly banner: string;
  /** Modules left out of the bundle. None: the AWS SDK is bundled (pinned, tree-shaken) instead of the runtime's copy. */
  readonly externalModules: readonly string[];
  /** Packages replaced in the bundle: package name → absolute path of the module bundled instead. */
  readonly aliases: Readonly<Record<string, string>>;
}

/**
 * The SDK's default credential chain (SSO, ini files, processes, web identity, metadata services) is
 * replaced by the environment link, the only one that answers on Lambda: about 90 KB less per handler
 * and less to parse at every cold start (lambdas/shared/lambda-credentials.ts says why it is safe).
 */
export const LAMBDA_CREDENTIALS_ALIAS: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': resolve(
    import.meta.dirname,
    '..',
    'lambdas',
    'shared',
    'lambda-credentials.ts',
  ),
};

/**
 * The DynamoDB client's endpoint-discovery cache, which this project never uses, without mnemonist's
 * LRU cache: about 7.3 KB less per handler that uses DynamoDB (lambdas/shared/endpoint-cache.ts).
 */
export const LAMBDA_ENDPOINT_CACHE_ALIAS: Readonly<Record<string, string>> = {
  '@aws-sdk/endpoint-cache': resolve(import.meta.dirname, '..', 'lambdas', 'shared', 'endpoint-cache.ts'),
};

/**
 * The SDK's event-stream support, which no client of this project needs, replaced by a module that
 * fails loudly if reached: about 15 KB less per handler (lambdas/shared/no-event-streams.ts).
 */
export const LAMBDA_EVENT_STREAMS_ALIAS: Readonly<Record<string, string>> = {
  '@smithy/core/event-streams': resolve(
    import.meta.dirname,
    '..',
    'lambdas',
    'shared',
    'no-event-streams.ts',
  ),
};

export const BUNDLE: BundleSettings = {
  target: 'node24',
  format: 'esm',
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  banner: ESM_REQUIRE_BANNER,
  externalModules: [],
  aliases: { ...LAMBDA_CREDENTIALS_ALIAS, ...LAMBDA_ENDPOINT_CACHE_ALIAS, ...LAMBDA_EVENT_STREAMS_ALIAS },
};

/** The bundle file name CDK writes for an ESM function. */
export const BUNDLE_FILE = 'index.mjs';

/**
 * Budget for one function's bundle (`index.mjs`, without its source map). A handler over budget has pulled
 * in something heavy; `npm run bundle-size` fails and names it.
 */
export const BUNDLE_BUDGET_BYTES = 400 * 1024;

/** `NodejsFunction` bundling options: the shared settings, bundled with the local esbuild (never Docker). */
export function nodejsBundling(settings: BundleSettings = BUNDLE): BundlingOptions {
  return {
    target: settings.target,
    format: OutputFormat.ESM,
    mainFields: [...settings.mainFields],
    minify: settings.minify,
    sourceMap: settings.sourceMap,
    sourcesContent: settings.sourcesContent,
    banner: settings.banner,
    externalModules: [...settings.externalModules],
    esbuildArgs: Object.fromEntries(
      Object.entries(settings.aliases).map(([name, path]) => [`--alias:${name}`, path]),
    ),
    bundleAwsSDK: true,
    forceDockerBundling: false,
  };
}

/** The same bundle through esbuild's API (what `NodejsFunction` runs through esbuild's CLI). */
export function esbuildOptions(
  entry: string,
  outfile: string,
  settings: BundleSettings = BUNDLE,
): BuildOptions {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: settings.target,
    format: settings.format,
    mainFields: [...settings.mainFields],
    minify: settings.minify,
    sourcemap: settings.sourceMap,
    sourcesContent: settings.sourcesContent,
    banner: { js: settings.banner },
    external: [...settings.externalModules],
    alias: { ...settings.aliases },
    logLevel: 'warning',
  };
}
