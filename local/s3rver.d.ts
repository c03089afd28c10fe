/** The parts of s3rver 3.7 (CommonJS, no types of its own) that local/s3.ts uses. */
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  export default class S3rver {
    constructor(options?: S3rverOptions);
    /** Koa's middleware list (composed when the server starts). */
    readonly middleware: import('./s3-create-only.ts').Middleware[];
    readonly store: import('./s3-create-only.ts').ObjectStore & import('./s3-lifecycle.ts').SubresourceStore;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}

declare module 's3rver/lib/models/account.js' {
  export const DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
}

declare module 's3rver/lib/models/config.js' {
  export const TaggingConfiguration: { validate(xml: string): unknown };
}
