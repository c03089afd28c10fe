/**
 * A store's `load` returns plain objects (client/src/store.ts, client/README.md "Stores"): the
 * replica copies a stored chat's own enumerable fields (ChatEntry.restored), which keeps the bundle
 * small, so a row whose fields are getters (an ORM's class) would lose its cursors. The docs say so;
 * and a plain copy of such a row (what the docs ask for) restores every cursor.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Replica } from '../../client/src/replica.ts';
import type { StoredChat } from '../../client/src/store.ts';
import { MemoryStore } from '../../client/src/store.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const hooks = { messages() {}, chat() {}, error() {} };

class Row implements StoredChat {
  constructor(private readonly raw: StoredChat) {}
  get info() {
    return this.raw.info;
  }
  get syncedVer() {
    return this.raw.syncedVer;
  }
  get contigSeq() {
    return this.raw.contigSeq;
  }
  get deliveredSeq() {
    return this.raw.deliveredSeq;
  }
  get loaded() {
    return this.raw.loaded;
  }
}

const stored: StoredChat = {
  info: {
    chatId: 'c1',
    kind: 'group',
    name: 'c1',
    ownerId: 'me',
    members: null,
    memberCount: 2,
    lastSeq: 5,
    lastVer: 7,
    lastReadSeq: 0,
    unreadCount: 0,
    mutedUntil: null,
  },
  syncedVer: 7,
  contigSeq: 5,
  deliveredSeq: 4,
  loaded: true,
};

describe('a store whose rows are class instances', () => {
  it('the docs say load returns plain objects (a chat given by getters loses its cursors)', () => {
    for (const file of ['client/src/store.ts', 'client/README.md']) {
      const text = readFileSync(resolve(ROOT, file), 'utf8').replace(/\s*\n\s*\*?\s*/g, ' ');
      expect(text, file).toContain('`load` returns plain objects, as `JSON.parse` gives them');
      expect(text, file).toMatch(/getters \(an ORM/);
    }
  });

  it('a plain copy of a row (as the docs ask) restores every cursor', () => {
    const r = new Replica(new MemoryStore(), hooks, {} as never);
    const row = new Row(stored);
    const { info, syncedVer, contigSeq, deliveredSeq, loaded } = row;
    const plain: StoredChat = { info, syncedVer, contigSeq, deliveredSeq, loaded };
    r.load({ chats: [plain], messages: [], outbox: [] });
    const e = r.chats.get('c1');
    expect([e?.syncedVer, e?.contigSeq, e?.deliveredSeq, e?.loaded]).toEqual([7, 5, 4, true]);
  });
});
