/**
 * The daily upload budget setting (`uploadMbPerDay`): it reaches requestUpload alone as
 * UPLOAD_MB_PER_DAY (unset, the function's default of 2048 MB applies), is read from context as
 * bin/app.ts builds the stack, and is refused below the largest upload (200 MB) or past 1 TB.
 */
import { describe, expect, it } from 'vitest';
import { settingsFromContext } from '../../lib/context.ts';
import { logicalId, synth, testApp } from './support.ts';

const envOf = (s: ReturnType<typeof synth>) =>
  new Map(
    [...s.stack.chatApi.functions.entries()].map(([route, fn]) => [
      route,
      s.template.toJSON().Resources[logicalId(s.stack, fn.function)].Properties.Environment
        .Variables as Record<string, string>,
    ]),
  );

describe('uploadMbPerDay', { timeout: 180_000 }, () => {
  it('reaches requestUpload alone as UPLOAD_MB_PER_DAY; unset, nothing is set', () => {
    for (const [route, env] of envOf(synth({ uploadMbPerDay: 500 }))) {
      expect(env.UPLOAD_MB_PER_DAY, route).toBe(route === 'requestUpload' ? '500' : undefined);
    }
    for (const [route, env] of envOf(synth())) expect(env.UPLOAD_MB_PER_DAY, route).toBeUndefined();
  });

  it('is read from context (-c uploadMbPerDay=…), and refused outside 200–1048576 MB', () => {
    const fromContext = (context: Record<string, unknown>) =>
      settingsFromContext(testApp(context).node).props.uploadMbPerDay;
    expect(fromContext({ uploadMbPerDay: '4096' })).toBe(4096);
    expect(fromContext({ uploadMbPerDay: 300 })).toBe(300);
    expect(fromContext({})).toBeUndefined();
    for (const bad of ['lots', '199', '1.5', 1024 * 1024 + 1, true]) {
      expect(() => fromContext({ uploadMbPerDay: bad }), String(bad)).toThrow(
        /context uploadMbPerDay must be a whole number of MB from 200 \(the largest upload\) to 1048576/,
      );
    }
    expect(() => synth({ uploadMbPerDay: 100 })).toThrow(/uploadMbPerDay must be a whole number of MB/);
  });
});
