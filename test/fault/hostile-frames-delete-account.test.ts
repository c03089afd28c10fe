/**
 * Malformed and hostile frames for an account's deletion (deleteAccount, the administrators'
 * deleteUser), as in hostile-frames-deactivate.test.ts: each gets the right error frame naming what
 * to fix, nothing is written anywhere (the whole table is compared before and after), nobody gets an
 * event, no socket is closed (deleteAccount's own included), and the sender's socket stays usable.
 * Both are irreversible, so a field they do not know (a misspelt `eraseMessages`, a `userId` sent
 * to deleteAccount) is refused, named, not ignored. Bob is no administrator.
 */
import { type AdminCase, describeAdminRefusals, frameOf, useAdminTrio } from './hostile/admin-world.ts';

const t = useAdminTrio('hostile-del');

type Case = AdminCase;
const BAD = 'BAD_REQUEST';
const frame = frameOf;
const user = (fields: Record<string, unknown>) => frame('deleteUser', { userId: 'someone', ...fields });

/** Bad `eraseMessages` values, for both actions. */
const BAD_ERASE: [string, unknown][] = [
  ['a string', 'yes'],
  ['"true"', 'true'],
  ['a number', 1],
  ['an object', { $ne: false }],
  ['an array', [true]],
];

const CASES: Case[] = [
  ...BAD_ERASE.map(
    ([what, value]): Case => ({
      name: `deleteAccount: eraseMessages ${what}`,
      by: 'bob',
      frame: frame('deleteAccount', { eraseMessages: value }),
      code: BAD,
      says: /^"eraseMessages" must be true or false/,
    }),
  ),
  ...BAD_ERASE.map(
    ([what, value]): Case => ({
      name: `deleteUser: eraseMessages ${what}`,
      frame: user({ eraseMessages: value }),
      code: BAD,
      says: /^"eraseMessages" must be true or false/,
    }),
  ),
  ...[
    ['a userId (deleteUser is the administrators’)', { userId: 'carol' }, 'userId'],
    ['a misspelt eraseMessages', { erase_messages: true }, 'erase_messages'],
    ['eraseMessage', { eraseMessage: true }, 'eraseMessage'],
    ['an admin field', { eraseMessages: false, admin: true }, 'admin'],
    ['a 60 KB field name', { ['x'.repeat(60_000)]: 1 }, 'x+'],
  ].map(
    ([what, fields, named]): Case => ({
      name: `deleteAccount: ${what as string}`,
      by: 'bob',
      frame: frame('deleteAccount', fields as Record<string, unknown>),
      code: BAD,
      says: new RegExp(`^"${named as string}" is not a field of deleteAccount`),
    }),
  ),
  {
    name: 'deleteUser: a misspelt eraseMessages',
    frame: user({ erase: true }),
    code: BAD,
    says: /^"erase" is not a field of deleteUser/,
  },
  {
    name: 'deleteUser: userId missing',
    frame: frame('deleteUser', {}),
    code: BAD,
    says: /"userId" is required/,
  },
  { name: 'deleteUser: userId empty', frame: user({ userId: '' }), code: BAD, says: /"userId"/ },
  { name: 'deleteUser: userId a number', frame: user({ userId: 7 }), code: BAD, says: /"userId"/ },
  { name: 'deleteUser: userId null', frame: user({ userId: null }), code: BAD, says: /"userId"/ },
  { name: 'deleteUser: userId an object', frame: user({ userId: { $ne: '' } }), code: BAD, says: /"userId"/ },
  { name: 'deleteUser: userId an array', frame: user({ userId: ['a', 'b'] }), code: BAD, says: /"userId"/ },
  {
    name: 'deleteUser: userId with #',
    frame: user({ userId: 'x#DEACTIVATED' }),
    code: BAD,
    says: /"userId"/,
  },
  { name: 'deleteUser: userId with NUL', frame: user({ userId: 'a\u0000b' }), code: BAD, says: /"userId"/ },
  { name: 'deleteUser: userId blank', frame: user({ userId: '   ' }), code: BAD, says: /"userId"/ },
  {
    name: 'deleteUser: userId 60 KB',
    frame: user({ userId: 'x'.repeat(60_000) }),
    code: BAD,
    says: /"userId"/,
  },
  {
    name: 'deleteUser: userId a lone surrogate',
    frame: user({ userId: '\ud83d' }),
    code: BAD,
    says: /"userId"/,
  },
  {
    name: 'deleteUser: the administrator themselves',
    frame: (w) => ({ action: 'deleteUser', userId: w.admin.userId }),
    code: BAD,
    says: /^"userId" must not be your own user id \(deleteUser\): use deleteAccount/,
  },
  {
    name: 'deleteUser: not an administrator',
    by: 'bob',
    frame: user({}),
    code: 'FORBIDDEN',
    says: /administrators/,
  },
  {
    name: 'deleteUser: not an administrator, admin field in the frame',
    by: 'bob',
    frame: user({ admin: true, roles: ['admin'] }),
    code: 'FORBIDDEN',
  },
  {
    name: 'deleteUser: not an administrator, bad userId',
    by: 'bob',
    frame: user({ userId: 7 }),
    code: 'FORBIDDEN',
  },
];

describeAdminRefusals('hostile frames: deleteAccount, deleteUser', t, CASES, 30);
