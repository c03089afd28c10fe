/**
 * `npm run web:build -- --ws-url wss://… --issuer https://… --client-id …`: the deployable page in
 * `web/dist/` (index.html, app.js, style.css, config.json), for any static host (S3 + CloudFront,
 * GitHub Pages, …). It signs in with the authorization code flow + PKCE (docs/web.md); the stack does
 * not serve it. Without --ws-url it builds the local flavour (what `npm run dev` serves).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildWeb, WEB_DIR, type WebConfig } from './web.ts';

const { values } = parseArgs({
  options: {
    'ws-url': { type: 'string' },
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    scope: { type: 'string' },
    'authorize-url': { type: 'string' },
    'token-url': { type: 'string' },
    'media-origin': { type: 'string' },
    out: { type: 'string' },
  },
});

function config(): WebConfig {
  const wsUrl = values['ws-url'];
  if (!wsUrl) return { mode: 'local' };
  const issuer = values.issuer;
  const clientId = values['client-id'];
  if (!issuer || !clientId) {
    process.stderr.write('--ws-url needs --issuer and --client-id (see docs/web.md)\n');
    process.exit(2);
  }
  return {
    mode: 'oidc',
    wsUrl,
    issuer,
    clientId,
    ...(values.scope ? { scope: values.scope } : {}),
    ...(values['authorize-url'] ? { authorizeUrl: values['authorize-url'] } : {}),
    ...(values['token-url'] ? { tokenUrl: values['token-url'] } : {}),
  };
}

const out = resolve(values.out ?? resolve(WEB_DIR, 'dist'));
mkdirSync(out, { recursive: true });
for (const [name, asset] of await buildWeb(config(), {
  minify: true,
  ...(values['media-origin'] ? { mediaOrigin: values['media-origin'] } : {}),
})) {
  writeFileSync(resolve(out, name), asset.body);
}
process.stdout.write(`web page written to ${out}\n`);
