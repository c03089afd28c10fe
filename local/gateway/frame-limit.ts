/**
 * API Gateway's frame quota: a client frame over 32 KB closes the socket with 1009, even when the
 * message it belongs to is within the 128 KB message quota (a larger message must come in frames of
 * at most 32 KB each). `ws` has only a message limit (`maxPayload`: every frame's length is added to
 * the message's running total as it is read, and the total checked), so the gateway sets that to the
 * message quota and checks each frame here.
 *
 * The check wraps the `haveLength` step of this connection's receiver (ws 8, lib/receiver.js): it
 * runs once per frame, as soon as the frame's length is known and before its payload is read, which
 * is where `ws` checks `maxPayload`. An oversized data frame fails the same way (`createError`, code
 * `WS_ERR_UNSUPPORTED_MESSAGE_LENGTH`, status 1009), so `ws` closes the socket with 1009 and reports
 * the error like the message limit's.
 *
 * `sendInFrames` is the other direction: a message sent in frames within the quota.
 */
import type { WebSocket } from 'ws';

/** The parts of `ws`'s Receiver the check uses (private to ws: checked at every connection). */
interface ReceiverInternals {
  _opcode: number;
  _payloadLength: number;
  haveLength(cb: (error?: Error) => void): void;
  createError(
    ctor: ErrorConstructor | RangeErrorConstructor,
    message: string,
    prefix: boolean,
    statusCode: number,
    errorCode: string,
  ): Error;
}

/** Opcodes from 0x8 are control frames (close, ping, pong: at most 125 bytes, never fragmented). */
const FIRST_CONTROL_OPCODE = 0x08;

/** Makes the socket's receiver close the socket with 1009 on a data frame over `maxFrameBytes`. */
export function limitFrameBytes(socket: WebSocket, maxFrameBytes: number): void {
  const receiver = (socket as unknown as { _receiver?: Partial<ReceiverInternals> })._receiver;
  if (typeof receiver?.haveLength !== 'function' || typeof receiver.createError !== 'function') {
    throw new Error(
      'ws changed its Receiver: the frame size check (local/gateway/frame-limit.ts) needs updating',
    );
  }
  const r = receiver as ReceiverInternals;
  const haveLength = r.haveLength;
  r.haveLength = function checkFrameLength(this: ReceiverInternals, cb) {
    if (this._opcode < FIRST_CONTROL_OPCODE && this._payloadLength > maxFrameBytes) {
      cb(
        this.createError(
          RangeError,
          'Max frame size exceeded',
          false,
          1009,
          'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
        ),
      );
      return;
    }
    haveLength.call(this, cb);
  };
}

/**
 * Sends `bytes` as one message (text, or binary when `binary`) in frames of at most `frameBytes`
 * each, the last one with FIN: how API Gateway sends a message over its frame quota, and how a client
 * that fragments sends one. A frame boundary may cut a character's UTF-8 bytes: only the whole
 * message must be UTF-8.
 */
export function sendInFrames(socket: WebSocket, bytes: Buffer, frameBytes: number, binary = false): void {
  for (let at = 0; at === 0 || at < bytes.length; at += frameBytes) {
    socket.send(bytes.subarray(at, at + frameBytes), { binary, fin: at + frameBytes >= bytes.length });
  }
}
