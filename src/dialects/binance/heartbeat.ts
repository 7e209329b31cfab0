/**
 * Binance's connection keep-alive, the same on the user-data stream and the WebSocket API: the
 * server pings every `pingIntervalMs`, closes a connection that sent no pong for `pongTimeoutMs`
 * (the gateway's IDLE code), and ends every connection after `maxConnectionLifeMs` (MAX_LIFE).
 */
import type { WebSocket } from 'ws';
import { CloseCode } from '../../gateway/limits.js';
import type { Session } from '../../gateway/session.js';
import { systemTimers, type Timer, type Timers } from '../../gateway/timers.js';

export interface HeartbeatTimings {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  maxConnectionLifeMs: number;
  /** Default: Node's timers (tests drive them by hand). */
  timers?: Timers;
}

/** Binance's close code for a connection at its maximum life (the stream's own codes are in stream.ts). */
export const MAX_LIFE_CLOSE = 4002;

export class BinanceHeartbeat {
  private readonly schedule: Timers;
  private readonly timers: Timer[] = [];
  private pongTimer: Timer | undefined;

  constructor(socket: WebSocket, private readonly session: Session, private readonly timings: HeartbeatTimings) {
    this.schedule = timings.timers ?? systemTimers;
    socket.on('pong', () => this.armPongTimeout());
    this.armPongTimeout();
    this.timers.push(this.schedule.setInterval(() => {
      if (session.isOpen) socket.ping();
    }, timings.pingIntervalMs).unref());
    this.timers.push(this.schedule.setTimeout(() => session.close(MAX_LIFE_CLOSE, 'the connection reached its maximum life; reconnect'), timings.maxConnectionLifeMs).unref());
  }

  /** Stops every timer (the connection closed). */
  stop(): void {
    for (const timer of this.timers) this.schedule.clear(timer);
    this.schedule.clear(this.pongTimer);
  }

  private armPongTimeout(): void {
    this.schedule.clear(this.pongTimer);
    this.pongTimer = this.schedule.setTimeout(() => this.session.close(CloseCode.IDLE, `no pong for ${this.timings.pongTimeoutMs / 1000} s`), this.timings.pongTimeoutMs).unref();
  }
}
