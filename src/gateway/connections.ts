/**
 * Counts stream connections per account, in total, and those not yet bound to an account (no valid
 * subscribe or auth so far), so the gateway can enforce every connection limit. A connection that
 * subscribed to public market data only is bound too (it did subscribe validly), to no account.
 */
import type { WebSocket } from 'ws';

export class ConnectionCounter {
  private total = 0;
  /**
   * Each account's bound connections (counted against maxPerAccount; operators' faults act on
   * them): the socket itself while it is the only one, as most accounts hold one, else a Set.
   */
  private readonly perAccount = new Map<number, WebSocket | Set<WebSocket>>();
  /** Connections bound to an account, with the account (log lines). */
  private readonly bound = new WeakMap<WebSocket, number>();
  private readonly boundPublic = new WeakSet<WebSocket>();
  private boundCount = 0;

  constructor(private readonly maxPerAccount: number, private readonly maxTotal: number, private readonly maxUnbound: number) {}

  get count(): number {
    return this.total;
  }

  /** Open connections that have not authenticated or subscribed yet. */
  get unbound(): number {
    return this.total - this.boundCount;
  }

  /** Why the process may not accept another connection now, or null when it may. */
  refusal(): string | null {
    if (this.total >= this.maxTotal) return `the server holds its maximum of ${this.maxTotal} stream connections`;
    if (this.unbound >= this.maxUnbound) return `the server holds its maximum of ${this.maxUnbound} connections that have not subscribed or authenticated yet`;
    return null;
  }

  openConnection(): void {
    this.total += 1;
  }

  closeConnection(): void {
    this.total -= 1;
  }

  isBound(socket: WebSocket): boolean {
    return this.bound.has(socket) || this.boundPublic.has(socket);
  }

  /** A connection that subscribed to public data: bound, to no account (an account may bind it later). */
  bindPublic(socket: WebSocket): void {
    if (this.bound.has(socket) || this.boundPublic.has(socket)) return;
    this.boundPublic.add(socket);
    this.boundCount += 1;
  }

  /** Undoes bindPublic when the connection closes (nothing when it was bound to an account since). */
  unbindPublic(socket: WebSocket): void {
    if (this.boundPublic.delete(socket)) this.boundCount -= 1;
  }

  /** The account a connection is bound to (log lines), if it is. */
  accountOf(socket: WebSocket): number | undefined {
    return this.bound.get(socket);
  }

  /** The connections bound to an account now. */
  socketsOf(accountId: number): WebSocket[] {
    const held = this.perAccount.get(accountId);
    return held === undefined ? [] : held instanceof Set ? [...held] : [held];
  }

  /** Binds a connection to an account; false when the account already holds its maximum. */
  bindAccount(accountId: number, socket: WebSocket): boolean {
    if (this.bound.has(socket)) throw new Error('a stream connection binds to an account once');
    this.unbindPublic(socket);
    const held = this.perAccount.get(accountId);
    const count = held === undefined ? 0 : held instanceof Set ? held.size : 1;
    if (count >= this.maxPerAccount) return false;
    if (held === undefined) this.perAccount.set(accountId, socket);
    else if (held instanceof Set) held.add(socket);
    else this.perAccount.set(accountId, new Set([held, socket]));
    this.bound.set(socket, accountId);
    this.boundCount += 1;
    return true;
  }

  /** Undoes bindAccount when the connection closes. */
  unbindAccount(accountId: number, socket: WebSocket): void {
    if (!this.bound.delete(socket)) return;
    this.boundCount -= 1;
    const held = this.perAccount.get(accountId);
    if (held === socket) this.perAccount.delete(accountId);
    else if (held instanceof Set) {
      held.delete(socket);
      if (held.size === 1) this.perAccount.set(accountId, held.values().next().value!);
    }
  }
}
