/**
 * The message list is pinned to its bottom while the user leaves it there: a scroll decides (theirs,
 * or ours to the bottom), and while pinned, whatever grows the list or shrinks its box (a new
 * message, an image loading, the composer growing) keeps the bottom in view. A user who scrolled up
 * stays where they are.
 */

/** How close to the bottom (px) the list counts as at the bottom. */
const AT_BOTTOM = 4;

export class BottomFollower {
  #pinned = true;

  constructor(
    private readonly scroller: HTMLElement,
    content: HTMLElement,
  ) {
    scroller.addEventListener(
      'scroll',
      () => {
        this.#pinned = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight <= AT_BOTTOM;
      },
      { passive: true },
    );
    const resized = new ResizeObserver(() => this.follow());
    resized.observe(scroller);
    resized.observe(content);
  }

  /** After a render: to the bottom if the list was there (or `pin`: a chat opened, a message sent). */
  follow(pin = false): void {
    if (pin) this.#pinned = true;
    if (this.#pinned) this.scroller.scrollTop = this.scroller.scrollHeight - this.scroller.clientHeight;
  }
}
