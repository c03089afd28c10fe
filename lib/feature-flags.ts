/**
 * CDK feature flags. They live where the CDK CLI reads them, the `context` of cdk.json (`npx cdk flags
 * --unstable=flags --all` lists them); this module hands the same values to the stacks synthesized
 * in-process (tests, scripts/check-iam.ts, scripts/bundle-size.ts), so what is tested is what deploys.
 *
 * cdk.json sets every flag aws-cdk-lib recommends (`recommended-feature-flags.json`, 89 of them) to its
 * recommended value, except the ones below; test/cdk/settings.test.ts keeps it that way when aws-cdk-lib is
 * upgraded. The 16 flags `cdk flags` still lists as unset already behave as recommended (their default
 * is the recommended value), so setting them would change nothing.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Flags deliberately set against the recommendation, with the reason. */
export const FLAG_EXCEPTIONS: Readonly<Record<string, { readonly value: unknown; readonly reason: string }>> =
  {
    '@aws-cdk/core:enableAdditionalMetadataCollection': {
      value: false,
      reason:
        'Usage telemetry (construct property keys and values) sent with every deployment; the project opts ' +
        'out of CDK telemetry (cdk.json `cli-telemetry: false`).',
    },
  };

const cdkJson = JSON.parse(readFileSync(resolve(import.meta.dirname, '..', 'cdk.json'), 'utf8')) as {
  context?: Record<string, unknown>;
};

/** Every feature flag of cdk.json's context (keys starting with `@aws-cdk`). */
export const FEATURE_FLAGS: Readonly<Record<string, unknown>> = Object.fromEntries(
  Object.entries(cdkJson.context ?? {}).filter(([key]) => key.startsWith('@aws-cdk')),
);
