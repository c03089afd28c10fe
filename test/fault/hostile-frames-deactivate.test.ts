/**
 * Malformed and hostile frames for the administrators' deactivateUser and reactivateUser, as in
 * hostile-frames.test.ts: each gets the right error frame naming what to fix, nothing is written
 * anywhere (the whole table is compared before and after), nobody gets an event, no socket is
 * closed, and the sender's socket stays usable. The file's administrator sends them; bob is no
 * administrator (FORBIDDEN whatever the fields, an `admin` field in the frame included).
 */
import {
  type AdminCase,
  type AdminWorld,
  describeAdminRefusals,
  frameOf,
  useAdminTrio,
} from './hostile/admin-world.ts';

const t = useAdminTrio('hostile-d');

type Case = AdminCase;
const BAD = 'BAD_REQUEST';

const both = (make: (action: string) => Omit<Case, 'name'> & { what: string }): Case[] =>
  ['deactivateUser', 'reactivateUser'].map((action) => {
    const { what, ...rest } = make(action);
    return { name: `${action}: ${what}`, ...rest };
  });

const frame = frameOf;

const CASES: Case[] = [
  ...both((a) => ({ what: 'userId missing', frame: frame(a, {}), code: BAD, says: /"userId" is required/ })),
  ...both((a) => ({ what: 'userId empty', frame: frame(a, { userId: '' }), code: BAD, says: /"userId"/ })),
  ...both((a) => ({ what: 'userId a number', frame: frame(a, { userId: 7 }), code: BAD, says: /"userId"/ })),
  ...both((a) => ({ what: 'userId null', frame: frame(a, { userId: null }), code: BAD, says: /"userId"/ })),
  ...both((a) => ({
    what: 'userId an object',
    frame: frame(a, { userId: { $ne: '' } }),
    code: BAD,
    says: /"userId"/,
  })),
  ...both((a) => ({
    what: 'userId an array',
    frame: frame(a, { userId: ['u1', 'u2'] }),
    code: BAD,
    says: /"userId"/,
  })),
  ...both((a) => ({
    what: 'userId with #',
    frame: frame(a, { userId: 'x#DEACTIVATED' }),
    code: BAD,
    says: /"userId"/,
  })),
  ...both((a) => ({
    what: 'userId with NUL',
    frame: frame(a, { userId: 'a\u0000b' }),
    code: BAD,
    says: /"userId"/,
  })),
  ...both((a) => ({ what: 'userId blank', frame: frame(a, { userId: '   ' }), code: BAD, says: /"userId"/ })),
  ...both((a) => ({
    what: 'userId 60 KB',
    frame: frame(a, { userId: 'x'.repeat(60_000) }),
    code: BAD,
    says: /"userId"/,
  })),
  ...both((a) => ({
    what: 'userId a lone surrogate',
    frame: frame(a, { userId: '\ud83d' }),
    code: BAD,
    says: /"userId"/,
  })),
  ...both((a) => ({
    what: 'the administrator themselves',
    frame: (w: AdminWorld) => ({ action: a, userId: w.admin.userId }),
    code: BAD,
    says: /^"userId" must not be your own user id/,
  })),
  ...both((a) => ({
    what: 'not an administrator',
    by: 'bob' as const,
    frame: frame(a, { userId: 'someone' }),
    code: 'FORBIDDEN',
    says: /administrators/,
  })),
  ...both((a) => ({
    what: 'not an administrator, admin field in the frame',
    by: 'bob' as const,
    frame: frame(a, { userId: 'someone', admin: true, roles: ['admin'] }),
    code: 'FORBIDDEN',
  })),
  ...both((a) => ({
    what: 'not an administrator, bad userId',
    by: 'bob' as const,
    frame: frame(a, { userId: 7 }),
    code: 'FORBIDDEN',
  })),
];

describeAdminRefusals('hostile frames: deactivateUser, reactivateUser', t, CASES, 30);
