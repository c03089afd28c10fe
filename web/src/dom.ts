/** A few DOM helpers: build elements without innerHTML (no injection from message text). */

type Attrs = Record<string, string | number | boolean | undefined | null | ((event: Event) => void)>;
type Child = Node | string | null | undefined | false;

/** `h('button', { class: 'x', onclick: fn, 'aria-label': 'Send' }, 'Send')` */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else setAttr(el, name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child);
  }
  return el;
}

/** Sets an attribute as `h` does (true: present and empty; false, null, undefined: absent), if it differs. */
export function setAttr(
  el: Element,
  name: string,
  value: string | number | boolean | null | undefined,
): void {
  const next =
    value === undefined || value === null || value === false ? null : value === true ? '' : String(value);
  if (el.getAttribute(name) === next) return;
  if (next === null) el.removeAttribute(name);
  else el.setAttribute(name, next);
}

/** The element with this id, or an error naming it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

/** A short time: "14:05" today, "Mon 14:05" this week, else the date. */
export function shortTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  if (now.getTime() - d.getTime() < 6 * 86_400_000) {
    return `${d.toLocaleDateString([], { weekday: 'short' })} ${time}`;
  }
  return d.toLocaleDateString();
}

/** "Alice" for "alice": the demo users' ids are their names. */
export function displayName(userId: string): string {
  return userId.length > 0 ? userId[0]?.toUpperCase() + userId.slice(1) : userId;
}
