/**
 * Keyed lists: a container's children put in the wanted order with the fewest moves. Children not
 * wanted are removed; of the wanted ones already attached, the longest run in increasing position
 * stays where it is and only the others are inserted. An untouched node is never detached, so it
 * keeps :hover, focus and a text selection (a chat moving to the top moves that one row).
 */
export function arrange(list: Element, wanted: readonly Element[]): void {
  const keep = new Set(wanted);
  for (const child of [...list.children]) if (!keep.has(child)) child.remove();
  const position = new Map<Element, number>();
  let i = 0;
  for (const child of list.children) position.set(child, i++);
  const stays = increasing(wanted.map((el) => position.get(el) ?? -1));
  let next: Element | null = null;
  for (let k = wanted.length - 1; k >= 0; k--) {
    const el = wanted[k];
    if (!el) continue;
    if (!stays.has(k)) list.insertBefore(el, next);
    next = el;
  }
}

/** The indexes of a longest strictly increasing subsequence of `xs` (negative entries left out). */
function increasing(xs: readonly number[]): Set<number> {
  const at = (k: number | undefined) => (k === undefined ? -1 : (xs[k] ?? -1));
  const tails: number[] = [];
  const prev: number[] = [];
  for (let k = 0; k < xs.length; k++) {
    prev.push(-1);
    const x = at(k);
    if (x < 0) continue;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (at(tails[mid]) < x) lo = mid + 1;
      else hi = mid;
    }
    prev[k] = tails[lo - 1] ?? -1;
    tails[lo] = k;
  }
  const out = new Set<number>();
  for (let k = tails.at(-1) ?? -1; k >= 0; k = prev[k] ?? -1) out.add(k);
  return out;
}
