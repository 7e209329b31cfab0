/**
 * Faults an operator injects on purpose, so a bot can be tested against the failures a real venue
 * has (issue 18, "Fault injection"): the next REST calls of an account fail with a chosen HTTP
 * status and the front door's own error body (optionally after the request was executed: the
 * "status unknown" answer of a timeout); the account's next orders are refused with a chosen
 * exchange error code, whichever front door or batch places them; an account's stream
 * connections drop now, drop after a number of pushes, or have their pushes delayed; and its
 * stream credentials (listen keys, tokens) expire now. Nothing is armed by default; only the admin API
 * (admin token) arms anything. Every fault that fires is reported (a log line and a metric).
 *
 * Faults live in the process that serves the request or holds the connection: in a scale-out, a
 * stream fault armed on the engine's admin API reaches the engine process's connections only.
 */
import type { WebSocket } from 'ws';
import type { CommandError } from '../engine/types.js';

/** How the next REST calls of an account fail. */
export interface RestFaultSpec {
  /** How many calls fail (each call made with one of the account's API keys counts). */
  count: number;
  /** HTTP status of the answer (400–599). */
  status: number;
  /** The exchange error code put in the front door's body; absent: the front door's code for the status. */
  code?: string;
  message: string;
  /** true: the request is executed, then answered with the error (the outcome is unknown to the client). */
  execute: boolean;
}

/** How the account's next orders are refused. */
export interface OrderRejectSpec {
  count: number;
  /** The exchange error code the front door answers with (e.g. Binance -2019, Bybit 110007). */
  code: string;
  message: string;
}

/** What happens to an account's open stream connections. */
export type StreamFaultSpec =
  | { kind: 'drop' }
  | { kind: 'dropAfter'; pushes: number }
  | { kind: 'delay'; ms: number };

/** A fault that fired: what the board reports (log line, metric). */
export interface FiredFault {
  kind: 'rest' | 'rest-executed' | 'order-reject' | 'credentials-expired' | 'stream-drop' | 'stream-drop-after' | 'stream-delay';
  accountId: number;
  detail: string;
}

/** A stream connection's armed faults, read by its Session on every push. */
export interface ConnectionFault {
  /** Pushes still delivered before the connection is dropped; null: no drop armed. */
  pushesBeforeDrop: number | null;
  /** Every outgoing message waits this long (0: none). */
  delayMs: number;
  /** Called once when the armed drop happens. */
  onDrop(): void;
}

/** The stream side the board acts on: the connections currently bound to an account, its credentials. */
export interface StreamTargets {
  socketsOf(accountId: number): readonly WebSocket[];
  /** Expires every stream credential of the account now (each store tells its streams); how many. */
  expireCredentials(accountId: number): Promise<number>;
  /** The connection's fault slot (created on first use), or undefined for a socket the gateway does not know. */
  faultOf(socket: WebSocket): ConnectionFault | undefined;
}

export const MAX_FAULT_COUNT = 1_000_000;
export const MAX_DELAY_MS = 600_000;

export class FaultBoard {
  private readonly rest = new Map<number, RestFaultSpec>();
  private readonly orders = new Map<number, OrderRejectSpec>();

  constructor(private readonly streams: StreamTargets, private readonly report: (fault: FiredFault) => void) {}

  /** True when no REST fault is armed: the request hook's fast path. */
  get restIdle(): boolean {
    return this.rest.size === 0;
  }

  /** Arms (or replaces) the account's REST fault. */
  armRest(accountId: number, spec: RestFaultSpec): void {
    this.rest.set(accountId, { ...spec });
  }

  /** The fault this call of the account must answer with, counting it; null when none is armed. */
  takeRest(accountId: number): RestFaultSpec | null {
    const armed = countDown(this.rest, accountId);
    if (armed === null) return null;
    this.report({
      kind: armed.execute ? 'rest-executed' : 'rest', accountId,
      detail: `HTTP ${armed.status}${armed.code === undefined ? '' : ` code ${armed.code}`}${armed.execute ? ' after executing the request' : ''}; ${armed.count} more armed`,
    });
    return armed;
  }

  /** Arms (or replaces) the refusal of the account's next orders. */
  armOrderReject(accountId: number, spec: OrderRejectSpec): void {
    this.orders.set(accountId, { ...spec });
  }

  /**
   * The refusal an order of the account must get instead of reaching the engine (nothing is
   * journaled or changed), counting it; null when none is armed.
   */
  takeOrderReject(accountId: number): CommandError | null {
    const armed = countDown(this.orders, accountId);
    if (armed === null) return null;
    this.report({ kind: 'order-reject', accountId, detail: `order refused with code ${armed.code}; ${armed.count} more armed` });
    return { ok: false, code: 'INJECTED_REJECTION', message: armed.message, exchangeCode: armed.code };
  }

  /** Applies a stream fault to the account's open connections; returns how many it reached. */
  armStream(accountId: number, spec: StreamFaultSpec): number {
    const sockets = this.streams.socketsOf(accountId);
    for (const socket of sockets) {
      if (spec.kind === 'drop') {
        this.report({ kind: 'stream-drop', accountId, detail: 'connection dropped now (no close frame)' });
        socket.terminate();
        continue;
      }
      const fault = this.streams.faultOf(socket);
      if (fault === undefined) continue;
      if (spec.kind === 'delay') {
        fault.delayMs = spec.ms;
        this.report({ kind: 'stream-delay', accountId, detail: `outgoing messages delayed by ${spec.ms} ms` });
      } else {
        fault.pushesBeforeDrop = spec.pushes;
        fault.onDrop = () => this.report({ kind: 'stream-drop-after', accountId, detail: `connection dropped after ${spec.pushes} more pushes` });
      }
    }
    return sockets.length;
  }

  /**
   * Expires the account's listen keys and tokens now, in every dialect's store: its streams react
   * as at a natural expiry (XT `invalid_listenkey` acks, Binance `listenKeyExpired` and a close;
   * KuCoin tokens are checked when a connection opens, so open ones go on, as on KuCoin).
   */
  async expireCredentials(accountId: number): Promise<number> {
    const expired = await this.streams.expireCredentials(accountId);
    this.report({ kind: 'credentials-expired', accountId, detail: `${expired} listen keys / tokens expired now` });
    return expired;
  }

  /** The armed REST faults and order refusals (stream faults act at once and live on their connections). */
  armed(): { rest: { accountId: number; rest: RestFaultSpec }[]; orders: { accountId: number; reject: OrderRejectSpec }[] } {
    return {
      rest: [...this.rest].map(([accountId, rest]) => ({ accountId, rest: { ...rest } })),
      orders: [...this.orders].map(([accountId, reject]) => ({ accountId, reject: { ...reject } })),
    };
  }

  /** Disarms the account's REST fault and order refusal, or every one; returns how many were disarmed. */
  clear(accountId?: number): number {
    if (accountId !== undefined) return (this.rest.delete(accountId) ? 1 : 0) + (this.orders.delete(accountId) ? 1 : 0);
    const n = this.rest.size + this.orders.size;
    this.rest.clear();
    this.orders.clear();
    return n;
  }
}

/** The account's armed fault with one use taken (disarmed when none is left), or null when none is armed. */
function countDown<T extends { count: number }>(armed: Map<number, T>, accountId: number): T | null {
  const fault = armed.get(accountId);
  if (fault === undefined) return null;
  fault.count -= 1;
  if (fault.count <= 0) armed.delete(accountId);
  return fault;
}
