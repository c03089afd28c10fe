/**
 * Media fixtures for the end-to-end suites: small files whose first bytes are real (PNG, JPEG, GIF,
 * WebP, HEIC), uploads through the presigned URL with plain `fetch`, and a look into the local S3
 * stand-in with the SDK's own S3 client (test code only; the functions do not bundle it).
 */
import { randomBytes } from 'node:crypto';
import { GetObjectTaggingCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Message, Upload } from '../../lambdas/contract/objects.ts';
import { LOCAL_S3_OWNER } from '../../local/s3.ts';
import type { TestClient } from './client.ts';
import type { TestStack } from './stack.ts';

/** A real 1×1 PNG. */
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** Files that start the way their type says, padded with random bytes to `size`. */
export const FILES = {
  png: (size = 2048) => pad(PNG.subarray(0, 16), size),
  jpeg: (size = 2048) => pad(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]), size),
  gif: (size = 512) => pad(Buffer.from('GIF89a'), size),
  webp: (size = 512) =>
    pad(Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]), size),
  heic: (size = 512) =>
    pad(
      Buffer.concat([
        Buffer.from([0, 0, 0, 0x18]),
        Buffer.from('ftypmif1'),
        Buffer.alloc(4),
        Buffer.from('mif1heic'),
      ]),
      size,
    ),
  html: (size = 512) => pad(Buffer.from('<!doctype html><html><script>alert(1)</script>'), size),
  /** A Windows executable's first bytes. */
  exe: (size = 512) => pad(Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), size),
  any: (size = 1024) => randomBytes(size),
} as const;

function pad(head: Buffer, size: number): Buffer {
  return Buffer.concat([head, randomBytes(Math.max(0, size - head.length))]).subarray(0, size);
}

/** requestUpload; returns the ack's upload. */
export async function requestUpload(
  socket: TestClient,
  chatId: string,
  contentType: string,
  size: number,
  fileName?: string,
): Promise<Upload> {
  const ack = await socket.ok('requestUpload', {
    chatId,
    contentType,
    size,
    ...(fileName ? { fileName } : {}),
  });
  return ack.upload as Upload;
}

/**
 * PUTs `bytes` to the upload URL with exactly the headers the ack named (plain fetch). The answer's
 * body is read before it returns (a body left unread holds its connection past the test, into the
 * next file of a shared worker); the answer returned holds it, to read as often as wanted.
 */
export async function putBytes(upload: Upload, bytes: Uint8Array): Promise<Response> {
  const res = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
  const body = await res.arrayBuffer();
  const empty = [101, 204, 205, 304].includes(res.status);
  return new Response(empty ? null : body, {
    status: res.status,
    statusText: res.statusText,
    headers: res.headers,
  });
}

/** requestUpload + PUT (must succeed); returns the uploadId. */
export async function uploadFile(
  socket: TestClient,
  chatId: string,
  bytes: Uint8Array,
  contentType: string,
  fileName?: string,
): Promise<string> {
  const upload = await requestUpload(socket, chatId, contentType, bytes.length, fileName);
  const res = await putBytes(upload, bytes);
  expect(res.status, await res.clone().text()).toBe(200);
  return upload.uploadId;
}

/** Sends a message carrying the uploads, in that order; the message the ack holds. */
export const sendWith = async (
  socket: TestClient,
  chatId: string,
  uploadIds: string[],
  text = '',
  extra = {},
): Promise<Message> =>
  (
    await socket.ok('sendMessage', {
      chatId,
      text,
      attachments: uploadIds.map((uploadId) => ({ uploadId })),
      ...extra,
    })
  ).message as Message;

/** GETs a URL; the status and the bytes. */
export async function download(url: string): Promise<{ status: number; bytes: Buffer; type: string | null }> {
  const res = await fetch(url);
  return {
    status: res.status,
    bytes: Buffer.from(await res.arrayBuffer()),
    type: res.headers.get('content-type'),
  };
}

/**
 * The SDK's S3 client on the local stand-in (for looking at what is stored), as the bucket's owner:
 * it may list, and a missing key is 404 to it (the functions get 403, local/s3-no-list.ts).
 */
/** A file's owner client (s3Of), made before its tests and destroyed after them: call it in tests. */
export function useS3(stack: TestStack): () => S3Client {
  let s3: S3Client | undefined;
  beforeAll(() => {
    s3 = s3Of(stack);
  });
  afterAll(() => s3?.destroy());
  return () => {
    if (!s3) throw new Error('useS3: the client is made in beforeAll');
    return s3;
  };
}

export function s3Of(stack: TestStack): S3Client {
  return new S3Client({
    endpoint: stack.s3Endpoint,
    forcePathStyle: true,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: LOCAL_S3_OWNER,
  });
}

/** Every key in the media bucket under `prefix`. */
export async function storedKeys(stack: TestStack, s3: S3Client, prefix = ''): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: stack.mediaBucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
}

/** An object's tags (`key=value`) in the local store. */
export async function tagsOf(
  stack: TestStack,
  s3: S3Client,
  chatId: string,
  uploadId: string,
): Promise<string[]> {
  const out = await s3.send(
    new GetObjectTaggingCommand({ Bucket: stack.mediaBucket, Key: `chats/${chatId}/${uploadId}` }),
  );
  return (out.TagSet ?? []).map((t) => `${t.Key}=${t.Value}`);
}
