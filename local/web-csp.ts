/**
 * The page's Content-Security-Policy, written into `index.html` (a `<meta>`) by `buildWeb`: its own
 * scripts and styles only (no inline script, no eval, no plugins, no `<base>`), and connections and
 * media to what the build knows: the socket and the OpenID provider from the config, and the media
 * store (presigned S3 URLs: the bucket's origin when given, else any `*.amazonaws.com`; locally the
 * S3 stand-in on 127.0.0.1). A `<meta>` cannot forbid framing (`frame-ancestors`): the server sends
 * that as headers (`local/web.ts` does; a static host should too, docs/web.md).
 */
import type { WebConfig } from '../web/src/config.ts';

/** The stand-in's URLs are path-style on 127.0.0.1, on a port of their own. */
const LOCAL_MEDIA = ['http://127.0.0.1:*', 'http://localhost:*'];
const AWS_MEDIA = 'https://*.amazonaws.com';

function origin(url: string): string {
  return new URL(url).origin;
}

export function contentSecurityPolicy(config: WebConfig, mediaOrigin?: string): string {
  const media = mediaOrigin ? [origin(mediaOrigin)] : config.mode === 'oidc' ? [AWS_MEDIA] : LOCAL_MEDIA;
  const connect =
    config.mode === 'oidc'
      ? [config.wsUrl, config.issuer, config.authorizeUrl, config.tokenUrl].flatMap((u) =>
          u ? [origin(u)] : [],
        )
      : [];
  const list = (...sources: string[]) => [...new Set(sources)].join(' ');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src ${list("'self'", 'data:', ...media)}`,
    `media-src ${list("'self'", ...media)}`,
    `connect-src ${list("'self'", ...connect, ...media)}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/** Headers that keep the page out of other sites' frames (a `<meta>` policy cannot). */
export const FRAME_HEADERS = {
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
} as const;

/** `index.html` with the policy in its Content-Security-Policy `<meta>`. */
export function withPolicy(html: string, policy: string): string {
  const meta = /(<meta http-equiv="Content-Security-Policy"\s+content=")[^"]*(")/;
  if (!meta.test(html)) throw new Error('index.html has no Content-Security-Policy <meta>');
  return html.replace(meta, `$1${policy.replace(/"/g, '&quot;')}$2`);
}
