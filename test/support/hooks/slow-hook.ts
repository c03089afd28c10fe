/** A pre-send hook that answers too late (the timeout fallback test): it waits SLOW_HOOK_MS. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { PreSendVerdict } from '../../../lambdas/domain/hooks.ts';

export default async function slowHook(): Promise<PreSendVerdict> {
  await sleep(Number(process.env.SLOW_HOOK_MS ?? 2000));
  return { action: 'rewrite', text: 'too late to matter' };
}
