/**
 * A started perpstream and ccxt 4.5.84 `pro.binanceusdm` instances configured exactly as
 * protocols.md §6.1 says (REST under /binance/fapi/v1|v2|v3 and /binance/sapi/v1, stream under
 * /binance/ws), for the binanceusdm test files. Demo BTC_USDT: tick 0.1, contract 0.0001 BTC
 * (Binance quantities are base units: 0.01 BTC = 100 contracts), maker 0.0002, taker 0.0006.
 */
import ccxt from 'ccxt';
import { formatAmount } from '../../src/engine/fixed.js';
import type { PositionSnapshot } from '../../src/engine/types.js';
import type { AccountView, WalletView } from '../../src/engine/view.js';
import type { RunningServer } from '../../src/server/server.js';
import { Harness } from '../support/harness.js';
import type { AdminClient } from '../support/xt-client.js';
import { BinanceRest } from '../binance/client.js';
import { withTimeout } from './helpers.js';
import { unrefLongTimeouts } from '../support/long-timers.js';

export const BTC = 'BTC/USDT:USDT';
export const T = 5_000;

export type BinancePro = InstanceType<typeof ccxt.pro.binanceusdm>;

export interface BinanceCcxtAccount {
  accountId: number;
  ex: BinancePro;
  rest: BinanceRest;
}

/** Engine amount units as the number ccxt shows. */
export const units = (value: bigint): number => Number(formatAmount(value));
/** BTC_USDT contracts as the base quantity ccxt shows (contract 0.0001 BTC = 10,000 units of 1e-8). */
export const base = (contracts: number): number => units(BigInt(contracts) * 10_000n);

unrefLongTimeouts();

export class BinanceCcxtFixture {
  private readonly instances: BinancePro[] = [];
  readonly accounts: BinanceCcxtAccount[] = [];

  private constructor(private readonly harness: Harness) {}

  static async start(): Promise<BinanceCcxtFixture> {
    const harness = await Harness.start();
    await harness.admin.markPrice('btc_usdt', '60000');
    await harness.admin.markPrice('eth_usdt', '3000');
    return new BinanceCcxtFixture(harness);
  }

  get server(): RunningServer {
    return this.harness.server;
  }

  get admin(): AdminClient {
    return this.harness.admin;
  }

  make(apiKey: string, secret: string, options: Record<string, unknown> = {}, has: Record<string, unknown> = { fetchCurrencies: false }): BinancePro {
    const H = this.server.url;
    const W = this.server.wsUrl;
    const ex = new ccxt.pro.binanceusdm({
      apiKey, secret, enableRateLimit: false, has,
      options: { watchPositions: { fetchPositionsSnapshot: false }, ...options },
      urls: { api: {
        fapiPublic: `${H}/binance/fapi/v1`, fapiPrivate: `${H}/binance/fapi/v1`, fapiPrivateV2: `${H}/binance/fapi/v2`,
        fapiPrivateV3: `${H}/binance/fapi/v3`, sapi: `${H}/binance/sapi/v1`, ws: { future: `${W}/binance/ws` },
      } },
    });
    this.instances.push(ex);
    return ex;
  }

  /** A funded one-way account with its ccxt instance (markets loaded, position mode set through ccxt). */
  async account(deposit = '10000', options: Record<string, unknown> = {}): Promise<BinanceCcxtAccount> {
    const created = await this.harness.created(deposit);
    const ex = this.make(created.apiKey, created.secret, options);
    await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
    await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
    await withTimeout(ex.setPositionMode(false), T, 'setPositionMode one-way');
    const a = { accountId: created.accountId, ex, rest: new BinanceRest(this.server.url, created.apiKey, created.secret) };
    this.accounts.push(a);
    return a;
  }

  view(accountId: number): AccountView {
    return this.server.exchange.engine.account(accountId)!.view;
  }

  wallet(accountId: number): WalletView {
    return this.view(accountId).wallets.find((w) => w.asset === 'USDT')!;
  }

  position(accountId: number): PositionSnapshot {
    return this.view(accountId).positions.find((p) => p.symbol === 'btc_usdt' && p.positionSide === 'BOTH')!;
  }

  /** `maker` rests a limit of `amount` BTC at `price`, `taker` takes it with a market order. */
  async trade(maker: BinanceCcxtAccount, taker: BinanceCcxtAccount, makerSide: 'buy' | 'sell', amount: number, price: number): Promise<{ makerId: string; takerId: string }> {
    const resting = await withTimeout(maker.ex.createOrder(BTC, 'limit', makerSide, amount, price), T, 'maker createOrder');
    const taking = await withTimeout(taker.ex.createOrder(BTC, 'market', makerSide === 'buy' ? 'sell' : 'buy', amount), T, 'taker createOrder');
    return { makerId: resting.id!, takerId: taking.id! };
  }

  /** Cancels every live order of the accounts made so far (book hygiene between tests). */
  async cancelEverything(): Promise<void> {
    for (const a of this.accounts) await this.server.exchange.execute({ type: 'cancelAll', accountId: a.accountId, symbol: 'btc_usdt' });
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map((ex) => withTimeout(ex.close(), T, 'close').catch(() => undefined)));
    await this.harness.stop();
  }
}
