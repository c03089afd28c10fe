/**
 * `@serverless-chat/client` is not on the npm registry, so every document that imports it says how
 * to get it into an app: client/README.md's "Install" (build, then install the folder or an
 * `npm pack` tarball), linked from README.md's "Build an app" and docs/react-native.md. The tarball
 * they name is the one `npm pack` writes for client/package.json's name and version.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/project-root.ts';

const read = (path: string) => readFileSync(join(PROJECT_ROOT, path), 'utf8');
const pkg = JSON.parse(read('client/package.json')) as { name: string; version: string };
/** What `npm pack` names the tarball: the scope's `@` dropped, its `/` made a `-`. */
const TARBALL = `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;

/** The text of the `## heading` section of `markdown`, up to the next `## `. */
const section = (markdown: string, heading: string) =>
  markdown.split(/^(?=## )/m).find((s) => s.startsWith(`## ${heading}\n`)) ?? '';

describe('installing the client in an app', () => {
  const install = section(read('client/README.md'), 'Install');

  it('client/README.md says how: build, then install the folder or a packed tarball', () => {
    expect(install).toContain('npm run client:build');
    expect(install).toContain('npm install <repo>/client');
    expect(install).toContain('npm pack <repo>/client');
    expect(install).toContain(`npm install ./${TARBALL}`);
    expect(install).toMatch(/React Native: install the tarball/);
  });

  it('README.md "Build an app" and docs/react-native.md link to it, and name the same tarball', () => {
    expect(section(read('README.md'), 'Build an app')).toContain('](client/README.md#install)');
    const reactNative = read('docs/react-native.md');
    expect(reactNative).toContain('](../client/README.md#install)');
    const named = [...reactNative.matchAll(/[\w.-]+\.tgz/g)].map((m) => m[0]);
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(name).toBe(TARBALL);
  });
});
