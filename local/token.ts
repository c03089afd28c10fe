/**
 * `npm run token -- <userId> [--name N] [--ttl seconds] [--roles admin]` (`--help`: this usage):
 * prints a dev token signed with the local HS256 secret (`JWT_SECRET`, or the documented dev
 * default) alone on stdout; warns on stderr when `--ttl` exceeds the longest lifetime the authorizer accepts (`JWT_MAX_LIFETIME_SECONDS`).
 * Refuses (exit code 1) an auth configuration the local authorizer could check no token with.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { DEV_JWT_SECRET, MAX_LIFETIME_ENV, maxLifetimeFromEnv } from '../lambdas/auth/verifier.ts';
import { localAuthProblem } from './auth-config.ts';

export interface DevTokenOptions {
  readonly name?: string;
  /** Lifetime in seconds. @default 3600 */
  readonly ttlSeconds?: number;
  /** @default JWT_SECRET or the dev default */
  readonly secret?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** The `roles` claim (e.g. `['admin']`). @default none */
  readonly roles?: readonly string[];
}

/** The longest lifetime of the tokens the local stack hands out itself (the banner's, the dev page's). */
export const DEV_SESSION_TTL_SECONDS = 24 * 3600;

/**
 * The lifetime of those tokens: 24 h, or the longest lifetime the local authorizer accepts
 * (`JWT_MAX_LIFETIME_SECONDS`) when that is shorter, so that it never refuses them. Throws when
 * that variable is not a positive whole number of seconds (the authorizer could not start either).
 */
export function devSessionTtlSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return Math.min(DEV_SESSION_TTL_SECONDS, maxLifetimeFromEnv(env));
}

export async function devToken(userId: string, options: DevTokenOptions = {}): Promise<string> {
  const secret = options.secret ?? process.env.JWT_SECRET ?? DEV_JWT_SECRET;
  let jwt = new SignJWT({
    name: options.name ?? userId,
    ...(options.roles ? { roles: [...options.roles] } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.ttlSeconds ?? 3600));
  const issuer = options.issuer ?? process.env.JWT_ISSUER;
  const audience = options.audience ?? process.env.JWT_AUDIENCE;
  if (issuer) jwt = jwt.setIssuer(issuer);
  if (audience) jwt = jwt.setAudience(audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

/**
 * Warns (stderr; the token is still printed) when `ttl` exceeds the longest lifetime the authorizer
 * accepts: `JWT_MAX_LIFETIME_SECONDS` as the local stack reads it (a deployed stack's
 * `jwtMaxLifetimeSeconds` reaches its authorizer as that variable), 24 h by default.
 */
function warnIfOverMaximum(ttl: number): void {
  const maximum = maxLifetimeFromEnv(process.env); // a bad value was refused before (refuseBadAuthConfig)
  if (ttl <= maximum) return;
  process.stderr.write(
    `warning: --ttl ${ttl} is more than the ${maximum} s the authorizer accepts ` +
      `(${MAX_LIFETIME_ENV}; on AWS the stack's jwtMaxLifetimeSeconds): the handshake will refuse ` +
      'this token with 401.\n',
  );
}

/**
 * Exits with code 1, nothing on stdout, when the local authorizer could check no token under this
 * environment (a `JWT_SECRET` under 32 bytes, `JWT_JWKS_URL` without `JWT_ISSUER`/`JWT_AUDIENCE`, …:
 * local/auth-config.ts); warns when it verifies with an issuer's keys (`JWT_JWKS_URL`), which refuse
 * this script's HS256 tokens.
 */
function refuseBadAuthConfig(): void {
  const problem = localAuthProblem(process.env);
  if (problem) {
    process.stderr.write(`Not signing a token: ${problem}\n`);
    process.exit(1);
  }
  if (process.env.JWT_JWKS_URL) {
    process.stderr.write(
      'warning: JWT_JWKS_URL is set: the authorizer verifies tokens with your issuer’s keys and will refuse ' +
        'this HS256 token with 401; bring a token from your issuer, or unset JWT_JWKS_URL.\n',
    );
  }
}

const USAGE = 'usage: npm run token -- <userId> [--name "Display Name"] [--ttl seconds] [--roles admin]\n';

/** The command line; `--help` prints the usage (exit 0), an unknown option says so with it (exit 2). */
function parseCommandLine() {
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        ttl: { type: 'string' },
        roles: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  try {
    parsed = parse();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  return parsed;
}

async function main(): Promise<void> {
  const { values, positionals } = parseCommandLine();
  const userId = positionals[0];
  if (!userId) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const ttl = values.ttl === undefined ? 3600 : Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) {
    process.stderr.write('--ttl must be a positive whole number of seconds\n');
    process.exit(2);
  }
  refuseBadAuthConfig();
  warnIfOverMaximum(ttl);
  process.stdout.write(
    `${await devToken(userId, {
      ...(values.name ? { name: values.name } : {}),
      ...(values.roles ? { roles: values.roles.split(',').filter(Boolean) } : {}),
      ttlSeconds: ttl,
    })}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
