/**
 * What the gateway tells an observer (metrics, logs) about its connections, without knowing who
 * listens. Each stream route gets one StreamObserver for its labels (dialect, stream) when it is
 * declared, so that a push costs one method call and a counter increment, nothing allocated.
 * A connection finds its route's observer through the socket (`connectionOf`), so the dialects'
 * sessions need no extra argument.
 */
import type { WebSocket } from 'ws';
import type { ConnectionFault } from '../faults/board.js';

export interface StreamLabels {
  dialect: string;
  stream: string;
}

export interface StreamObserver {
  opened(): void;
  /** The connection closed; `code` is the one the server sent when it closed it, else the peer's. */
  closed(code: number): void;
  /** One push (an account event's frame) queued on a connection of this stream. */
  pushed(topic: string): void;
  /** A resume was answered: events replayed (served) or `recovered: false` (refused). */
  resumed(served: boolean): void;
  /** A connection was closed as a slow consumer (its queue passed the bound). */
  slowConsumer(socket: WebSocket, queuedBytes: number, bound: number): void;
}

export interface GatewayObserver {
  stream(labels: StreamLabels): StreamObserver;
}

const ignore = (): void => undefined;
export const NO_STREAM_OBSERVER: StreamObserver = Object.freeze({
  opened: ignore, closed: ignore, pushed: ignore, resumed: ignore, slowConsumer: ignore,
});
export const NO_GATEWAY_OBSERVER: GatewayObserver = Object.freeze({ stream: () => NO_STREAM_OBSERVER });

/** The gateway's per-connection record: its route's observer and the close code the server chose. */
export interface ConnectionRecord {
  readonly observer: StreamObserver;
  readonly labels: StreamLabels;
  /** Set when the server closes the connection, so the close is counted under the server's code. */
  closeCode: number | null;
  /** Faults an operator armed on this connection (src/faults/board.ts); null: none, the usual case. */
  fault: ConnectionFault | null;
}

const records = new WeakMap<WebSocket, ConnectionRecord>();

export function attachConnection(socket: WebSocket, record: ConnectionRecord): void {
  records.set(socket, record);
}

/** The connection's record (a socket the router did not accept has none). */
export function connectionOf(socket: WebSocket): ConnectionRecord | undefined {
  return records.get(socket);
}

/** The connection's fault slot, created on first use (undefined for a socket the router did not accept). */
export function faultSlotOf(socket: WebSocket): ConnectionFault | undefined {
  const record = records.get(socket);
  if (record === undefined) return undefined;
  record.fault ??= { pushesBeforeDrop: null, delayMs: 0, onDrop: () => undefined };
  return record.fault;
}
