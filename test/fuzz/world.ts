/**
 * The server the front-door fuzzers run against, with one account per dialect (created with that
 * exchange's defaults) holding state a wrong request could disturb: a deposit, a resting order on
 * each side of the book and an open position. Every fuzz case is compared against the fingerprint
 * taken before it: the engine's command sequence (a refused command still takes one, so a request
 * refused at the front door leaves it where it was) and the state hash (balances, positions, open
 * orders, everything the engine holds).
 */
import type { RunningServer } from '../../src/server/server.js';
import { Harness } from '../support/harness.js';
import { requestOf, type Case, type Endpoint } from './cases.js';
import { send, signed, type Answer } from './http.js';
import type { Dialect } from '../support/xt-client.js';
import type { AdminClient, Created } from '../support/xt-client.js';

export interface Fingerprint {
  cmdSeq: number;
  stateHash: string;
}

export class FuzzWorld {
  private constructor(private readonly harness: Harness, readonly accounts: Readonly<Record<Dialect, Created>>) {}

  /** A started in-memory server with a funded account per dialect, each with resting orders and a position. */
  static async start(): Promise<FuzzWorld> {
    const harness = await Harness.start();
    await harness.admin.markPrice('btc_usdt', '60000');
    await harness.admin.markPrice('eth_usdt', '3000');
    const accounts = {} as Record<Dialect, Created>;
    for (const dialect of ['xt', 'binance', 'bybit', 'kucoin'] as const) accounts[dialect] = await harness.created('100000', dialect);
    const world = new FuzzWorld(harness, accounts);
    await world.giveState((await harness.created('1000000')).accountId);
    return world;
  }

  get server(): RunningServer {
    return this.harness.server;
  }

  get admin(): AdminClient {
    return this.harness.admin;
  }

  /**
   * Resting orders and a position for every account, placed through the engine directly (the front
   * doors are what is under test): a bid at 59,000 and an ask at 61,000, and 2 contracts bought from
   * a market maker's ask at 60,000.
   */
  private async giveState(maker: number): Promise<void> {
    const { exchange } = this.server;
    const ids = Object.values(this.accounts).map((a) => a.accountId);
    const place = async (accountId: number, side: 'BUY' | 'SELL', price: number, qty: number): Promise<void> => {
      const view = exchange.engine.account(accountId)!.view;
      const hedge = view.positionMode === 'HEDGE';
      const { result } = await exchange.execute({
        type: 'placeOrder', accountId, symbol: 'btc_usdt', side, positionSide: hedge ? (side === 'BUY' ? 'LONG' : 'SHORT') : 'BOTH',
        orderType: 'LIMIT', timeInForce: 'GTC', price, qty, reduceOnly: false,
      });
      if (!result.ok) throw new Error(`fuzz world: placing ${side} ${qty} @ ${price} for ${accountId}: ${result.message}`);
    };
    for (const id of ids) {
      await place(id, 'BUY', 590_000, 3);
      await place(id, 'SELL', 610_000, 3);
      await place(maker, 'SELL', 600_000, 2);
      await place(id, 'BUY', 600_000, 2);
    }
  }

  /** Places another resting bid for the dialect's account (after a control cancelled one). */
  async replenish(dialect: Dialect): Promise<void> {
    const { accountId } = this.accounts[dialect];
    const { exchange } = this.server;
    const hedge = exchange.engine.account(accountId)!.view.positionMode === 'HEDGE';
    const { result } = await exchange.execute({
      type: 'placeOrder', accountId, symbol: 'btc_usdt', side: 'BUY', positionSide: hedge ? 'LONG' : 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 590_000, qty: 3, reduceOnly: false,
    });
    if (!result.ok) throw new Error(`fuzz world: replenishing ${dialect}'s bid: ${result.message}`);
  }

  /** Sends a case of `endpoint`, signed for the dialect's account (as the case says), and returns the answer. */
  async send(endpoint: Endpoint, c: Case): Promise<Answer> {
    const request = requestOf(endpoint, c.mutation);
    const other = requestOf(endpoint, { kind: 'unknown', name: 'replayedFrom', value: '1' });
    const wire = signed(request, this.accounts[endpoint.dialect], c.auth, this.server.exchange.now(), other);
    return send(this.server.port, endpoint.method, wire.pathAndQuery, wire.headers, wire.body);
  }

  fingerprint(): Fingerprint {
    const { engine } = this.server.exchange;
    return { cmdSeq: engine.cmdSeq, stateHash: engine.stateHash() };
  }

  /** What changed between two fingerprints, in words (empty when nothing did). */
  static changes(before: Fingerprint, after: Fingerprint): string[] {
    const out: string[] = [];
    if (after.cmdSeq !== before.cmdSeq) out.push(`the engine sequenced ${after.cmdSeq - before.cmdSeq} command(s)`);
    if (after.stateHash !== before.stateHash) out.push('the engine state (balances, positions, orders) changed');
    return out;
  }

  async stop(): Promise<void> {
    await this.harness.stop();
  }
}
