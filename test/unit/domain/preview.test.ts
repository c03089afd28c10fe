/** The message preview (listChats, push) and the image magic numbers. */
import { describe, expect, it } from 'vitest';
import type { Attachment } from '../../../lambdas/contract/objects.ts';
import { sniffImageType } from '../../../lambdas/domain/image-sniff.ts';
import { previewText } from '../../../lambdas/domain/preview.ts';

const a = (kind: Attachment['kind'], fileName: string | null = null): Attachment => ({
  attachmentId: 'up_1',
  kind,
  contentType: 'x/y',
  size: 1,
  fileName,
  url: 'https://x',
  urlExpiresAt: '2026-01-01T00:00:00.000Z',
});

describe('previewText', () => {
  it('is the text when there is one, whatever the attachments', () => {
    expect(previewText({ text: 'look', attachments: [a('image')] })).toBe('look');
  });

  it.each([
    [[a('image')], 'Photo'],
    [[a('audio')], 'Voice message'],
    [[a('video')], 'Video'],
    [[a('file', 'report.pdf')], 'report.pdf'],
    [[a('file')], 'File'],
    [[a('image'), a('image'), a('image')], '3 photos'],
    [[a('audio'), a('audio')], '2 voice messages'],
    [[a('image'), a('video')], '2 attachments'],
    [[], ''],
  ])('labels attachments without text: %j → %s', (attachments, label) => {
    expect(previewText({ text: '', attachments })).toBe(label);
  });

  it('cuts at maxChars characters (code points), with an ellipsis', () => {
    expect(previewText({ text: 'x'.repeat(300), attachments: [] })).toBe(`${'x'.repeat(199)}…`);
    expect([...previewText({ text: '😀'.repeat(150), attachments: [] }, 100)]).toHaveLength(100);
    expect(previewText({ text: 'x'.repeat(200), attachments: [] })).toBe('x'.repeat(200));
    expect(previewText({ text: '', attachments: [a('file', 'n'.repeat(150))] }, 100)).toHaveLength(100);
  });
});

describe('sniffImageType', () => {
  const b = (...parts: (string | number[])[]) =>
    new Uint8Array(
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))),
    );

  it.each([
    ['image/jpeg', b([0xff, 0xd8, 0xff, 0xe1])],
    ['image/png', b([0x89], 'PNG\r\n\x1a\n')],
    ['image/gif', b('GIF87a')],
    ['image/gif', b('GIF89a')],
    ['image/webp', b('RIFF', [1, 2, 3, 4], 'WEBPVP8L')],
    ['image/heic', b([0, 0, 0, 24], 'ftypheic', [0, 0, 0, 0], 'mif1heic')],
    ['image/heic', b([0, 0, 0, 24], 'ftypmif1', [0, 0, 0, 0], 'mif1heix')],
  ])('recognises %s', (type, bytes) => {
    expect(sniffImageType(bytes)).toBe(type);
  });

  it.each([
    ['HTML', b('<!DOCTYPE html>')],
    ['an executable', b('MZ\x90\x00')],
    ['a PDF', b('%PDF-1.7')],
    ['RIFF that is not WebP (WAV)', b('RIFF', [1, 2, 3, 4], 'WAVEfmt ')],
    ['AVIF', b([0, 0, 0, 24], 'ftypavif', [0, 0, 0, 0], 'mif1avif')],
    ['a generic HEIF whose brands lie past its box', b([0, 0, 0, 16], 'ftypmif1', [0, 0, 0, 0], 'heic')],
    ['a PNG cut short', b([0x89], 'PNG')],
    ['nothing', new Uint8Array()],
  ])('recognises no image in %s', (_name, bytes) => {
    expect(sniffImageType(bytes)).toBeUndefined();
  });
});
