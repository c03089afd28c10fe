/**
 * The client's size the READMEs state ("about N KB minified + gzipped") is what `npm run client:size`
 * measures, give or take half a kilobyte: the figure cannot drift far without a failing test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measureClientSize } from '../../client/scripts/size.ts';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

describe('the client size in the READMEs', () => {
  it('is the measured minified + gzipped size, within 0.5 KB', async () => {
    const measuredKb = (await measureClientSize()).gzipBytes / 1024;
    for (const file of ['README.md', 'client/README.md']) {
      const text = readFileSync(join(PROJECT_ROOT, file), 'utf8').replace(/\s+/g, ' ');
      const stated = /about (\d+(?:\.\d+)?) KB minified \+ gzipped/.exec(text)?.[1];
      expect(stated, `${file} states the client's size`).toBeDefined();
      expect(
        Math.abs(Number(stated) - measuredKb),
        `${file}: ${stated} KB, measured ${measuredKb.toFixed(1)} KB`,
      ).toBeLessThanOrEqual(0.5);
    }
  }, 60_000);
});
