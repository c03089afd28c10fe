/**
 * The page's reading of a token (web/src/jwt.ts) in Node, which has the browser's atob and
 * TextDecoder: the user id the page shows and compares with must be the one the client reads.
 */
import { describe, expect, it } from 'vitest';
import { jwtClaims } from '../../client/src/util.ts';
import { subject } from '../../web/src/jwt.ts';
import { jwt } from '../client/support/harness.ts';

describe('subject', () => {
  it('decodes a non-ASCII sub as UTF-8, the same as the client', () => {
    for (const sub of ['alice', 'josé', 'Zoë Ørsted', 'ユーザー', '👩‍💻 dev']) {
      const token = jwt({ sub });
      expect(subject(token)).toBe(sub);
      expect(subject(token)).toBe(jwtClaims(token).sub);
    }
  });

  it('is empty for what is not a readable JWT', () => {
    expect(subject('not a token')).toBe('');
    expect(subject('a.%%%.c')).toBe('');
    expect(subject(`a.${Buffer.from('"just a string"').toString('base64url')}.c`)).toBe('');
  });
});
