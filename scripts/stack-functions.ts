/**
 * Every function of a stack (`npm run bundle-size` measures them all): each `ChatFunction` in the
 * construct tree, the route functions of the WebSocket API and the queue workers, stream consumers and
 * scheduled functions beside it, named by construct id (the path below the stack where ids repeat).
 */
import type { Stack } from 'aws-cdk-lib';
import { ChatFunction } from '../lib/chat-function.ts';

export interface StackFunction {
  readonly name: string;
  readonly fn: ChatFunction;
}

export function stackFunctions(stack: Stack): StackFunction[] {
  const all = stack.node.findAll().filter((c): c is ChatFunction => c instanceof ChatFunction);
  const count = new Map<string, number>();
  for (const fn of all) count.set(fn.node.id, (count.get(fn.node.id) ?? 0) + 1);
  return all.map((fn) => ({
    name:
      (count.get(fn.node.id) ?? 0) > 1
        ? fn.node.path.slice(stack.node.path.length + 1).replaceAll('/', '.')
        : fn.node.id,
    fn,
  }));
}
