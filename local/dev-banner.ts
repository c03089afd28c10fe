/**
 * What `npm run dev` prints once it is ready (local/dev.ts): the ready line first, then where things
 * are and how to try them.
 */

export interface BannerInput {
  /** The gateway's WebSocket URL (`ws://localhost:<port>`). */
  readonly wsUrl: string;
  /** The demo user's token. */
  readonly token: string;
  readonly dynamoEndpoint: string;
  /** The endpoint came from DYNAMODB_ENDPOINT: a DynamoDB dev did not start (and will not stop). */
  readonly externalDynamo: boolean;
  /** DynamoDB Local's data folder (`--persist`), if any. */
  readonly dbPath: string | undefined;
  /** The local S3's endpoint (what `aws --endpoint-url` and an S3 client take), without the bucket. */
  readonly s3Endpoint: string;
  readonly bucket: string;
  readonly pushUrl: string;
  /** The demo data, when seeded: `loaded` now or `already present`, and each user's token. */
  readonly seed?: {
    readonly seeded: boolean;
    readonly users: readonly { readonly userId: string; readonly token: string }[];
  };
}

/** The DynamoDB line: DynamoDB Local dev started (in memory or on disk), or an external endpoint. */
export function dynamoLine(input: Pick<BannerInput, 'dynamoEndpoint' | 'externalDynamo' | 'dbPath'>): string {
  if (input.externalDynamo) return `  DynamoDB: ${input.dynamoEndpoint} (external: DYNAMODB_ENDPOINT)`;
  return `  DynamoDB Local: ${input.dynamoEndpoint}${input.dbPath ? ` (data kept in ${input.dbPath})` : ' (in memory)'}`;
}

export function readyBanner(input: BannerInput): string {
  const { wsUrl, token, dbPath, seed } = input;
  return (
    `Ready: ${wsUrl} · demo token: ${token} · try: npx wscat -c "${wsUrl}/?token=${token}"\n` +
    [
      dynamoLine(input),
      `  Media (local S3): endpoint ${input.s3Endpoint}, bucket ${input.bucket}${dbPath ? ` (files kept in ${dbPath}/s3)` : ''}`,
      // Without the demo data (--no-seed) the page's picker is empty: a token must be pasted.
      `  Web chat: ${wsUrl.replace(/^ws:/, 'http:')}/ (${seed ? 'pick a demo user; elsewhere paste a token' : 'no demo users loaded: paste a token, the demo token above or one of npm run token'})`,
      '  In wscat send {"action":"ping"}. More tokens: npm run token -- <userId> --name "Name".',
      `  Push notifications (APNs/FCM stand-ins): ${input.pushUrl}`,
      ...(seed
        ? [
            `  Demo data ${seed.seeded ? 'loaded' : 'already present'}: users ${seed.users.map((u) => u.userId).join(', ')};` +
              ' chats: a direct chat alice–bob, groups "General" (everyone) and "Project X" (admin, alice, carol).',
            ...seed.users.map((u) => `  ${u.userId.padEnd(6)} npx wscat -c "${wsUrl}/?token=${u.token}"`),
          ]
        : []),
      '  Ctrl-C stops everything.',
      '',
    ].join('\n')
  );
}
