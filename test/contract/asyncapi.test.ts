/** docs/asyncapi.yaml: valid AsyncAPI 3.0, and generated from the current contract. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES, EVENTS } from '../../lambdas/contract/index.ts';
import { asyncApiYaml } from '../../scripts/asyncapi/generate.ts';

const PATH = resolve(import.meta.dirname, '../../docs/asyncapi.yaml');

describe('docs/asyncapi.yaml', () => {
  it('is current: regenerate it with `npm run asyncapi` after changing lambdas/contract', () => {
    expect(readFileSync(PATH, 'utf8')).toBe(asyncApiYaml());
  });

  it('is a valid AsyncAPI 3.0 document with no errors', async () => {
    const { document, diagnostics } = await new Parser().parse(readFileSync(PATH, 'utf8'));
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    expect(errors.map((d) => `${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
    const operations =
      document
        ?.operations()
        .all()
        .map((o) => o.id()) ?? [];
    for (const name of ACTION_NAMES) expect(operations).toContain(name);
    for (const type of Object.keys(EVENTS)) expect(operations).toContain(`event.${type}`);
  }, 60_000);
});
