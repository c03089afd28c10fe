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

export class InFlightRequests {
  private readonly requests = new Map<string, InFlight>();

  add(requestId: string, request: InFlight): void {
    this.requests.set(requestId, request);
  }

  /** Forgets a request (its timeout); whether it was in flight. */
  delete(requestId: string): boolean {
    return this.requests.delete(requestId);
  }

  /** Settles the request a reply (`ack`, `pong`, `error`) answers; whether one was in flight. */
  settle(frame: Frame): boolean {
    const requestId = frame.requestId;
    if (typeof requestId !== 'string') return false;
    if (frame.type !== 'ack' && frame.type !== 'pong' && frame.type !== 'error') return false;
    const request = this.requests.get(requestId);
    if (!request) return false;
    this.requests.delete(requestId);
    cancel(request.timer);
    if (frame.type === 'error') request.reject(errorOf(frame, request.action));
    else request.resolve(frame);
    return true;
  }

  /** After a 1009 close: the largest frame in flight was over the limit if any was; it fails for good. */
  failLargest(): void {
    let largest: [string, InFlight] | undefined;
    for (const entry of this.requests) if (!largest || entry[1].bytes > largest[1].bytes) largest = entry;
    if (!largest) return;
    const [requestId, request] = largest;
    this.requests.delete(requestId);
    const message = `The socket was closed with 1009 (a frame too big) while this ${request.bytes}-byte ${request.action} request was the largest in flight.`;
    request.reject(new ChatClientError('PAYLOAD_TOO_LARGE', message, request.action));
  }

  /** Fails every request in flight (the socket is gone). */
  failAll(code: 'DISCONNECTED' | 'CLOSED', message: string): void {
    const requests = [...this.requests.values()];
    this.requests.clear();
    for (const request of requests) request.reject(new ChatClientError(code, message, request.action));
  }
}
