/**
 * The page's size docs/web.md states ("about N KB of JavaScript minified + gzipped") is what
 * `buildWeb` makes, give or take 2 KB: the figure cannot drift far without a failing test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';
import { buildWeb } from '../../local/web.ts';

describe('the web page size in docs/web.md', () => {
  it('is the measured app.js, minified + gzipped, within 2 KB', async () => {
    const assets = await buildWeb({} as Parameters<typeof buildWeb>[0], { minify: true });
    const js = assets.get('app.js')?.body;
    expect(js).toBeDefined();
    const measuredKb = gzipSync(js ?? Buffer.alloc(0)).length / 1024;
    const text = readFileSync(join(PROJECT_ROOT, 'docs/web.md'), 'utf8').replace(/\s+/g, ' ');
    const stated = /about (\d+(?:\.\d+)?) KB of JavaScript minified \+ gzipped/.exec(text)?.[1];
    expect(stated, 'docs/web.md states the page size').toBeDefined();
    expect(
      Math.abs(Number(stated) - measuredKb),
      `stated ${stated} KB, measured ${measuredKb.toFixed(1)} KB`,
    ).toBeLessThanOrEqual(2);
  }, 60_000);
});
