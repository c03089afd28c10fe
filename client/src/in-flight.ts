/**
 * The requests sent on the current socket and not answered yet, by requestId (connection.ts): a
 * reply settles its request, a lost socket fails them all, and a 1009 close fails the largest.
 */

import type { Frame } from './connection-options.ts';
import { ChatClientError, errorOf } from './errors.ts';
import { cancel, type TimerId } from './util.ts';

export interface InFlight {
  readonly resolve: (frame: Frame) => void;
  readonly reject: (error: ChatClientError) => void;
  readonly timer: TimerId;
  readonly action: string;
  /** The frame's UTF-8 size. */
  readonly bytes: number;
}

/**
 * By requestId: `set` a request sent, `delete` one that timed out (whether it was in flight). A Map
 * itself, not a field: fewer bytes in the bundle.
 */
export class InFlightRequests extends Map<string, InFlight> {
  /** Settles the request a reply (`ack`, `pong`, `error`) answers; whether one was in flight. */
  settle(frame: Frame): boolean {
    // (A requestId that is not a string is no key: requestIds are strings.)
    const requestId = frame.requestId as string;
    const request = this.get(requestId);
    if (!request || (frame.type !== 'ack' && frame.type !== 'pong' && frame.type !== 'error')) return false;
    this.delete(requestId);
    cancel(request.timer);
    if (frame.type === 'error') request.reject(errorOf(frame, request.action));
    else request.resolve(frame);
    return true;
  }

  /** After a 1009 close: the largest frame in flight was over the limit if any was; it fails for good. */
  failLargest(): void {
    let largest: [string, InFlight] | undefined;
    for (const entry of this) if (!largest || entry[1].bytes > largest[1].bytes) largest = entry;
    if (!largest) return;
    const [requestId, request] = largest;
    this.delete(requestId);
    request.reject(
      new ChatClientError(
        'PAYLOAD_TOO_LARGE',
        `The socket was closed with 1009 (a frame too big) while this ${request.bytes}-byte ${request.action} request was the largest in flight.`,
        request.action,
      ),
    );
  }

  /** Fails every request in flight (the socket is gone). */
  failAll(error: (action: string) => ChatClientError): void {
    const requests = [...this.values()];
    this.clear();
    for (const request of requests) request.reject(error(request.action));
  }
}
