/**
 * The client package's size as an app ships it (issue 10: ≤ 12 KB minified + gzipped), measured by
 * client/scripts/size.ts (the whole package bundled with esbuild, minified, gzip -9).
 */
import { measureClientSize } from '../../client/scripts/size.ts';

export interface ClientBundleResult {
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
  readonly budgetBytes: number;
}

export async function clientBundle(): Promise<ClientBundleResult> {
  const { minifiedBytes, gzipBytes, budgetBytes } = await measureClientSize();
  return { minifiedBytes, gzipBytes, budgetBytes };
}
