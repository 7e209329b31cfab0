/**
 * One stream connection: a byte-bounded outgoing queue written in batches, and an inbound token
 * bucket. A slow reader is closed with CloseCode.SLOW_CONSUMER instead of buffering without bound;
 * nothing it does affects other connections.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ConnectionFault } from '../faults/board.js';
import type { WebSocket } from 'ws';
import { TokenBucket } from '../service/token-bucket.js';
import { CloseCode, type GatewayLimits } from './limits.js';
import { connectionOf, NO_STREAM_OBSERVER, type ConnectionRecord, type StreamObserver } from './observer.js';

/**
 * An exception a stream's message handler threw. The session emits it as the socket's 'error'
 * event, where the router logs and counts it, and closes only that connection.
 */
export class StreamHandlerError extends Error {
  override name = 'StreamHandlerError';
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** Flushes every session with pending output once per event-loop turn: one batch per burst. */
class Flusher {
  private readonly dirty = new Set<Session>();
  private scheduled = false;

  mark(session: Session): void {
    this.dirty.add(session);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushAll());
    }
  }

  private flushAll(): void {
    this.scheduled = false;
    const sessions = [...this.dirty];
    this.dirty.clear();
    for (const session of sessions) session.flush();
  }
}

const flusher = new Flusher();

export class Session {
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Messages an operator's delay fault holds back, in order, with when each may go. */
  private delayed: { text: string; topic: string | undefined; at: number }[] = [];
  private delayedBytes = 0;
  private readonly inbound: TokenBucket;
  private closed = false;
  /** Bytes and messages written, for metrics. */
  sentMessages = 0;
  /** The gateway's record of this connection (its route's observer), when the router accepted it. */
  private readonly record: ConnectionRecord | undefined;
  /** Where pushes, resumes and slow-consumer closes are reported (metrics, logs). */
  readonly observer: StreamObserver;

  constructor(readonly socket: WebSocket, private readonly limits: GatewayLimits, now: number) {
    this.inbound = new TokenBucket(limits.inboundBurst, limits.inboundPerSecond / 1000, now);
    this.record = connectionOf(socket);
    this.observer = this.record?.observer ?? NO_STREAM_OBSERVER;
    socket.once('close', () => {
      this.closed = true;
      this.pending = [];
      this.delayed = [];
      this.delayedBytes = 0;
    });
  }

  /**
   * Hands every inbound frame to `handler` as text (a binary frame as '', which no stream accepts).
   * An exception from the handler never reaches the process: it is reported as a StreamHandlerError
   * on the socket and the connection is closed with 1011.
   */
  onText(handler: (text: string) => void): void {
    this.socket.on('message', (data, isBinary) => {
      try {
        handler(isBinary ? '' : data.toString());
      } catch (error) {
        this.socket.emit('error', new StreamHandlerError(error));
        this.close(CloseCode.INTERNAL_ERROR, 'internal error while handling the message; reconnect');
      }
    });
  }

  /** Bytes waiting to be written: the socket's buffer, this turn's batch and what a delay fault holds. */
  get queuedBytes(): number {
    return this.socket.bufferedAmount + this.pendingBytes + this.delayedBytes;
  }

  get isOpen(): boolean {
    return !this.closed && this.socket.readyState === this.socket.OPEN;
  }

  /**
   * Queues one message; closes the connection instead if that would pass the byte bound. A push
   * (an account event's frame) names its topic, which is counted per dialect and topic.
   */
  send(text: string, topic?: string): void {
    if (!this.isOpen) return;
    const fault = this.record?.fault;
    if (fault != null && this.faulted(fault, text, topic)) return;
    this.enqueue(text, topic);
  }

  private enqueue(text: string, topic: string | undefined): void {
    if (!this.isOpen) return;
    // JSON pushes are ASCII, so string length is the byte count.
    const queued = this.socket.bufferedAmount + this.pendingBytes + this.delayedBytes;
    if (queued + text.length > this.limits.maxQueueBytes) {
      this.close(CloseCode.SLOW_CONSUMER, `outgoing queue passed ${this.limits.maxQueueBytes} bytes: the client reads too slowly`, false);
      this.observer.slowConsumer(this.socket, queued, this.limits.maxQueueBytes);
      return;
    }
    if (topic !== undefined) this.observer.pushed(topic);
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pending.length === 1) flusher.mark(this);
  }

  /**
   * An operator's fault on this connection (src/faults/board.ts), applied to one outgoing message;
   * true when the message was taken care of here (delayed, or the connection dropped instead).
   */
  private faulted(fault: ConnectionFault, text: string, topic: string | undefined): boolean {
    if (topic !== undefined && fault.pushesBeforeDrop !== null) {
      if (fault.pushesBeforeDrop === 0) {
        fault.pushesBeforeDrop = null;
        this.drop();
        fault.onDrop();
        return true;
      }
      fault.pushesBeforeDrop -= 1;
    }
    // Once anything waits, everything after it waits too: a delay never reorders the stream.
    if (fault.delayMs <= 0 && this.delayed.length === 0) return false;
    const last = this.delayed.length === 0 ? 0 : this.delayed[this.delayed.length - 1]!.at;
    this.delayed.push({ text, topic, at: Math.max(performance.now() + fault.delayMs, last) });
    this.delayedBytes += text.length;
    if (this.delayed.length === 1) this.releaseDelayedLater();
    return true;
  }

  private releaseDelayedLater(): void {
    const head = this.delayed[0];
    if (head === undefined) return;
    setTimeout(() => {
      const now = performance.now();
      while (this.delayed.length > 0 && this.delayed[0]!.at <= now) {
        const { text, topic } = this.delayed.shift()!;
        this.delayedBytes -= text.length;
        this.enqueue(text, topic);
      }
      this.releaseDelayedLater();
    }, Math.max(0, head.at - performance.now())).unref();
  }

  /**
   * Drops the connection the way a network failure would, after what is already queued: the TCP
   * connection ends without a WebSocket close frame (the client sees 1006).
   */
  private drop(): void {
    const raw = (this.socket as unknown as { _socket?: Socket })._socket;
    const end = (): void => {
      if (raw === undefined) this.socket.terminate();
      else raw.end();
    };
    // Ended once the last queued message is written: a compressed one (permessage-deflate) is
    // written later than its send, and ending at once would cut it off.
    const flushed = this.flush(end);
    this.closed = true;
    this.pending = [];
    if (!flushed) end();
  }

  /**
   * Writes the pending batch with the TCP socket corked, so a burst leaves in as few packets as
   * possible; `written` is called once the batch's last message is on the socket. False when there
   * was nothing to write (and `written` is not called).
   */
  flush(written?: () => void): boolean {
    if (this.pending.length === 0 || !this.isOpen) return false;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const raw = (this.socket as unknown as { _socket?: Socket })._socket;
    raw?.cork();
    const last = batch.length - 1;
    for (let i = 0; i < last; i++) this.socket.send(batch[i]!);
    this.socket.send(batch[last]!, written === undefined ? undefined : () => written());
    raw?.uncork();
    this.sentMessages += batch.length;
    return true;
  }

  /** Takes one inbound message from the bucket; closes the connection when it is empty. */
  admitInbound(now: number): boolean {
    if (this.inbound.take(now)) return true;
    this.close(CloseCode.RATE_LIMITED, `more than ${this.limits.inboundPerSecond} messages per second`);
    return false;
  }

  /** Closes the connection; what is queued goes first (an error explaining the close), unless `flush` is false. */
  close(code: number, reason: string, flush = true): void {
    if (this.closed) return;
    if (flush) this.flush();
    this.closed = true;
    if (this.record !== undefined && this.record.closeCode === null) this.record.closeCode = code;
    this.pending = [];
    this.socket.close(code, reason.slice(0, 120));
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.socket.terminate(), 5_000).unref();
  }
}
