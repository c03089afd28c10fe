/**
 * An SDK client resolves its whole middleware stack on every call (copies and sorts some thirty
 * middlewares, then composes them): 60–100 µs of CPU a call on the 2-core development machine
 * (`npx tsx bench/dynamo-transport.ts`), paid again by every post of a fan-out. The light request
 * paths (`light-posts.ts`, `light-dynamo.ts`) end their calls early in that stack, so for their
 * commands the resolved stack can be kept: `keepResolvedStacks(client, …)` resolves it once per command
 * class and again after any change to the client's stack (a middleware added, as the IAM call
 * recorder, the bench's meter and the tests' hooks do, or removed).
 *
 * A kept handler runs with the context of the call that resolved it (the command's name, the
 * client's logger); what differs from call to call travels in the handler's arguments. So it is
 * only for calls without per-call options, and only for commands whose middlewares read nothing of
 * the context but names: the light paths' (the SDK's `cacheMiddleware` option does the same, but
 * not for the document client's commands, whose resolved handler sends the first command again).
 */

/** The part of a command this module needs: an SDK command class's instance. */
export interface ResolvableCommand {
  readonly input: unknown;
  resolveMiddleware(stack: never, config: never, options: undefined): ResolvedHandler;
}

export type ResolvedHandler = (args: object) => Promise<{ output: unknown }>;

/** The part of a client this module needs. */
interface Resolving {
  readonly config: unknown;
  readonly middlewareStack: object;
}

/** The stack methods that change it (`use` applies a plugin through `add` and `addRelativeTo`). */
const CHANGES = ['add', 'addRelativeTo', 'use', 'remove', 'removeByTag'] as const;

/** A call to run on a kept stack: the command whose class's handler runs, and its arguments. */
export interface KeptCall {
  readonly command: ResolvableCommand;
  readonly args: object;
}

/**
 * Makes `client.send` run the calls `keep` picks (given `send`'s arguments) on their class's kept
 * handler, and every other call as before. `onChange` runs after every change to the stack: what
 * `keep` learned about it (which commands the light path answers) no longer holds.
 */
export function keepResolvedStacks(
  client: Resolving & { send: unknown },
  keep: (command: unknown, rest: unknown[]) => KeptCall | undefined,
  onChange: () => void = () => undefined,
): void {
  let handlers = new Map<unknown, ResolvedHandler>();
  const stack = client.middlewareStack as Record<string, unknown>;
  for (const name of CHANGES) {
    const change = stack[name];
    if (typeof change !== 'function') continue;
    stack[name] = function (this: unknown, ...args: unknown[]) {
      handlers = new Map();
      const changed = change.apply(this, args);
      onChange();
      return changed;
    };
  }
  const handlerOf = (command: ResolvableCommand): ResolvedHandler => {
    let handler = handlers.get(command.constructor);
    if (!handler) {
      handler = command.resolveMiddleware(client.middlewareStack as never, client.config as never, undefined);
      handlers.set(command.constructor, handler);
    }
    return handler;
  };
  const send = (client.send as (...args: unknown[]) => Promise<unknown>).bind(client);
  client.send = (command: unknown, ...rest: unknown[]) => {
    const kept = keep(command, rest);
    if (!kept) return send(command, ...rest);
    return handlerOf(kept.command)(kept.args).then((result) => result.output);
  };
}
