/**
 * docs/protocol.md's examples tell one story of each chat: a member's read and delivery cursors never
 * move back (docs/protocol.md: `lastReadSeq` and `lastDeliveredSeq` never move backwards), so a Chat
 * shown at a later version of the chat lists each member at or past where an earlier one did.
 */
import { describe, expect, it } from 'vitest';
import { exampleFrames, isObject, type Json, objectsIn } from '../support/protocol-examples.ts';

interface Seen {
  readonly lastVer: number;
  readonly cursors: readonly number[];
}
const CURSORS = ['lastReadSeq', 'lastDeliveredSeq'] as const;

/** Each member's cursors as a Chat lists them at a version that says otherwise than an earlier one. */
function cursorsBack(examples: readonly Json[]): string[] {
  const chats = objectsIn(examples).filter(
    (o) => typeof o.chatId === 'string' && typeof o.lastVer === 'number' && Array.isArray(o.members),
  );
  const byMember = new Map<string, Seen[]>();
  for (const chat of chats)
    for (const m of (chat.members as unknown[]).filter(isObject)) {
      const key = `${String(chat.chatId)} ${String(m.userId)}`;
      const list = byMember.get(key) ?? [];
      list.push({ lastVer: chat.lastVer as number, cursors: CURSORS.map((c) => Number(m[c] ?? 0)) });
      byMember.set(key, list);
    }
  const found: string[] = [];
  for (const [key, list] of byMember) {
    const sorted = [...list].sort((a, b) => a.lastVer - b.lastVer);
    sorted.forEach((later, i) => {
      for (const earlier of sorted.slice(0, i).filter((e) => e.lastVer < later.lastVer))
        CURSORS.forEach((name, c) => {
          if ((later.cursors[c] ?? 0) < (earlier.cursors[c] ?? 0))
            found.push(
              `${key}: ${name} ${earlier.cursors[c]} at version ${earlier.lastVer}, ${later.cursors[c]} at ${later.lastVer}`,
            );
        });
    });
  }
  return [...new Set(found)];
}

describe('docs/protocol.md examples: cursors', () => {
  it('never move a member’s read or delivery cursor back as the chat’s version rises', () => {
    expect(objectsIn(exampleFrames).filter((o) => Array.isArray(o.members)).length).toBeGreaterThan(5);
    expect(cursorsBack(exampleFrames)).toEqual([]);
  });

  it('catches a cursor that moves back', () => {
    const at = (lastVer: number, lastDeliveredSeq: number) => ({
      chatId: 'c',
      lastVer,
      members: [{ userId: 'alice', lastReadSeq: 0, lastDeliveredSeq }],
    });
    expect(cursorsBack([at(5, 1), at(9, 0)])).toEqual(['c alice: lastDeliveredSeq 1 at version 5, 0 at 9']);
    expect(cursorsBack([at(5, 1), at(9, 1)])).toEqual([]);
  });
});
