/**
 * Stands in for `@smithy/core/event-streams` in the deployed bundles only (lib/bundling.ts aliases
 * it here; tests and `npm run dev` use the real module). The SDK's HTTP protocols load event-stream
 * support with a dynamic import when an operation streams events (Kinesis SubscribeToShard,
 * Transcribe, Bedrock…), so every bundle carried about 15 KB of it (its serde, codec and
 * marshallers), though no client this project bundles has such an operation: DynamoDB, the
 * Management API, Secrets Manager, S3 presigning. Reaching it at run time fails loudly, naming this
 * file (test/cdk/bundle.test.ts). A client whose configuration resolves event streams itself
 * (`S3Client`, say) does not even build against it (esbuild: no `resolveEventStreamSerdeConfig`
 * export): adding one means removing the alias in lib/bundling.ts.
 */

const UNBUNDLED =
  'Event streams are not in this bundle (lambdas/shared/no-event-streams.ts): remove the alias of @smithy/core/event-streams in lib/bundling.ts to call a streaming operation.';

export class EventStreamSerde {
  constructor() {
    throw new Error(UNBUNDLED);
  }
}

export function eventStreamSerdeProvider(): never {
  throw new Error(UNBUNDLED);
}
