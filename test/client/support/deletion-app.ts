/**
 * The app around client/README.md's "Deleting the account" sample, for running the sample as it is
 * printed (test/client/e2e-deletion-sample.test.ts): the functions the sample declares as the app's
 * own (its store, its identity provider, a flag kept across restarts), observable. `readmeSample()`
 * takes the sample's ```ts block word for word, swaps its `declare` lines for an import of these and
 * its package import for client/src, and loads it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatClient } from '../../../client/src/index.ts';
import { PROJECT_ROOT } from '../../../lib/project-root.ts';

/** The identity provider (its identities, who is signed in, whether it is reachable), the store and the flag. */
export const app = {
  identities: new Set<string>(),
  signedIn: null as string | null,
  idpOnline: true,
  flag: null as string | null,
  storeCleared: 0,
};

export function resetApp(): void {
  Object.assign(app, { identities: new Set(), signedIn: null, idpOnline: true, flag: null, storeCleared: 0 });
}

/** The user signs up and in: an identity at the provider, signed in on this device. */
export function signIn(userId: string): void {
  app.identities.add(userId);
  app.signedIn = userId;
}

export async function clearTheStore(): Promise<void> {
  app.storeCleared++;
}

export async function signedInUser(): Promise<string | null> {
  return app.signedIn;
}

/** As Amplify's `deleteUser()`: deletes the signed-in identity and signs out; throws when offline. */
export async function deleteIdentity(): Promise<void> {
  if (!app.idpOnline) throw new Error('the identity provider is unreachable');
  if (app.signedIn === null) throw new Error('nobody is signed in');
  app.identities.delete(app.signedIn);
  app.signedIn = null;
}

export const deletionPending = {
  get: async (): Promise<string | null> => app.flag,
  set: async (userId: string | null): Promise<void> => {
    app.flag = userId;
  },
};

export interface DeletionSample {
  deleteMyAccount(client: ChatClient, eraseMessages: boolean): Promise<string>;
  finishDeletion(): Promise<void>;
}

/** client/README.md's sample, word for word but for its `declare` lines and its package import. */
export async function readmeSample(): Promise<DeletionSample> {
  const text = readFileSync(join(PROJECT_ROOT, 'client/README.md'), 'utf8');
  const section = text.slice(text.indexOf('### Deleting the account\n')).split(/^#{1,3} /m)[1] ?? '';
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (!code) throw new Error('client/README.md: no ```ts block under "### Deleting the account"');
  const declared = [...code.matchAll(/^declare (?:function|const) (\w+)/gm)].map((m) => m[1]);
  const source = code
    .replace(/^declare .*\n/gm, '')
    .replace("'@serverless-chat/client'", JSON.stringify(join(PROJECT_ROOT, 'client/src/index.ts')));
  const here = join(PROJECT_ROOT, 'test/client/support/deletion-app.ts');
  const dir = mkdtempSync(join(tmpdir(), 'readme-deletion-'));
  const file = join(dir, 'sample.ts');
  writeFileSync(file, `import { ${declared.join(', ')} } from ${JSON.stringify(here)};\n${source}`);
  try {
    return (await import(file)) as DeletionSample;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
