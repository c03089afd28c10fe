/**
 * What the test files that share their worker need between files (fresh-modules-setup.ts runs it;
 * test/support/shared-workers.ts says which files and why).
 */
import { vi } from 'vitest';

/** Forgets every module this worker evaluated (but vitest's own): each is evaluated again on import. */
export function freshStart(): void {
  vi.resetModules();
}

/** Puts `env` back to `before`: the variables set since removed, the ones changed restored. */
export function restoreEnv(env: NodeJS.ProcessEnv, before: Readonly<NodeJS.ProcessEnv>): void {
  for (const name of Object.keys(env)) if (!(name in before)) delete env[name];
  Object.assign(env, before);
}
