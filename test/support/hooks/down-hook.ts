/** A pre-send hook whose backend is down (the fallback tests): every call throws. */
export default function downHook(): never {
  throw new Error('moderation backend unreachable');
}
