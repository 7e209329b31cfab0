/**
 * Binance's connection keep-alive, the same on the user-data stream and the WebSocket API: the
 * server pings every `pingIntervalMs`, closes a connection that sent no pong for `pongTimeoutMs`
 * (the gateway's IDLE code), and ends every connection after `maxConnectionLifeMs` (MAX_LIFE).
 */
import type { WebSocket } from 'ws';
import { CloseCode } from '../../gateway/limits.js';
import type { Session } from '../../gateway/session.js';

export interface HeartbeatTimings {
  pingIntervalMs: number;
  pongTimeoutMs: number;
  maxConnectionLifeMs: number;
}

/** Binance's close code for a connection at its maximum life (the stream's own codes are in stream.ts). */
export const MAX_LIFE_CLOSE = 4002;

export class BinanceHeartbeat {
  private readonly timers: NodeJS.Timeout[] = [];
  private pongTimer: NodeJS.Timeout | undefined;

  constructor(socket: WebSocket, private readonly session: Session, private readonly timings: HeartbeatTimings) {
    socket.on('pong', () => this.armPongTimeout());
    this.armPongTimeout();
    this.timers.push(setInterval(() => {
      if (session.isOpen) socket.ping();
    }, timings.pingIntervalMs).unref());
    this.timers.push(setTimeout(() => session.close(MAX_LIFE_CLOSE, 'the connection reached its maximum life; reconnect'), timings.maxConnectionLifeMs).unref());
  }

  /** Stops every timer (the connection closed). */
  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    clearTimeout(this.pongTimer);
  }

  private armPongTimeout(): void {
    clearTimeout(this.pongTimer);
    this.pongTimer = setTimeout(() => this.session.close(CloseCode.IDLE, `no pong for ${this.timings.pongTimeoutMs / 1000} s`), this.timings.pongTimeoutMs).unref();
  }
}
