/**
 * The daily text budget setting (`textMbPerDay`): it reaches the functions that store messages of a
 * frame and count them against the budget (sendMessage and scheduleMessage: rate-limits.ts
 * `storesText`) as TEXT_MB_PER_DAY, no other function of the stack (unset, nothing is set and the
 * functions' default of 100 MB applies), is read from context as bin/app.ts builds the stack, and is
 * refused unless a whole number of MB from 1 to 1048576.
 */
import { describe, expect, it } from 'vitest';
import { settingsFromContext } from '../../lib/context.ts';
import { logicalId, type Resources, type Synthesized, synth, testApp } from './support.ts';

/** Every function of the stack (routes, authorizer, workers, dispatcher, …) whose environment sets it. */
const withBudget = (s: Synthesized) =>
  new Map(
    Object.entries(s.template.toJSON().Resources as Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .flatMap(([id, r]) => {
        const env = (r.Properties.Environment as { Variables?: Record<string, string> } | undefined)
          ?.Variables;
        return env?.TEXT_MB_PER_DAY === undefined ? [] : [[id, env.TEXT_MB_PER_DAY] as const];
      }),
  );

describe('textMbPerDay', { timeout: 180_000 }, () => {
  it('reaches sendMessage and scheduleMessage alone as TEXT_MB_PER_DAY; unset, no function has it', () => {
    const s = synth({ textMbPerDay: 250 });
    const owners = ['sendMessage', 'scheduleMessage'].map((route) => {
      const fn = s.stack.chatApi.functions.get(route);
      if (!fn) throw new Error(`no ${route} function`);
      return logicalId(s.stack, fn.function);
    });
    expect(withBudget(s)).toEqual(new Map(owners.map((id) => [id, '250'])));
    expect(withBudget(synth())).toEqual(new Map());
  });

  it('is read from context (-c textMbPerDay=…), and refused unless a whole number of MB, 1–1048576', () => {
    const fromContext = (context: Record<string, unknown>) =>
      settingsFromContext(testApp(context).node).props.textMbPerDay;
    expect(fromContext({ textMbPerDay: '250' })).toBe(250);
    expect(fromContext({ textMbPerDay: 20 })).toBe(20);
    expect(fromContext({})).toBeUndefined();
    for (const bad of ['lots', '0', '-5', '1.5', 0, 1024 * 1024 + 1, true]) {
      expect(() => fromContext({ textMbPerDay: bad }), String(bad)).toThrow(
        /context textMbPerDay must be a whole number of MB from 1 to 1048576/,
      );
    }
    for (const bad of [0, -1, 0.5, Number.NaN]) {
      expect(() => synth({ textMbPerDay: bad }), String(bad)).toThrow(
        /^textMbPerDay must be a whole number of MB from 1 to 1048576/,
      );
    }
  });
});
