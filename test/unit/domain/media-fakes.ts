/** Fakes of the media unit tests: deps whose uploads are these records and whose objects are PNGs. */
import type { UploadRecord } from '../../../lambdas/data/store.ts';
import { fakeDeps, PNG_HEAD } from './fakes.ts';

/** Deps holding `uploads`, each object present: a 100-byte PNG. */
export function withUploads(...uploads: UploadRecord[]) {
  const fake = fakeDeps();
  fake.store.uploads.getMany.mockResolvedValue(new Map(uploads.map((u) => [u.uploadId, u])));
  fake.media.probe.mockResolvedValue({
    status: 'present',
    size: 100,
    contentType: 'image/png',
    head: PNG_HEAD,
  });
  return fake;
}
