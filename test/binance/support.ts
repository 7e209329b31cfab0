/**
 * A started perpstream for the Binance tests: accounts with a signed Binance REST client, streams,
 * a settable clock (seed 002's times), and test-only symbols when a test needs Binance's own specs.
 */
import { BTC_USDT, ETH_USDT } from '../../src/engine/demo-symbols.js';
import type { SymbolSpec } from '../../src/engine/symbol.js';
import type { ServerOptions } from '../../src/server/server.js';
import { Harness } from '../support/harness.js';
import { BinanceRest, BinanceStream } from './client.js';

/** BTCUSDT and ETHUSDT as Binance listed them in 2020: tick 0.01, step 0.001, maker 0.02 %, taker 0.04 %. */
export const SEED_SYMBOLS: readonly SymbolSpec[] = [
  { ...BTC_USDT, tickSize: '0.01', contractSize: '0.001', makerFeeRate: '0.0002', takerFeeRate: '0.0004' },
  { ...ETH_USDT, contractSize: '0.001', makerFeeRate: '0.0002', takerFeeRate: '0.0004' },
];

/** A clock the test sets; `null` follows the wall clock. */
export class TestClock {
  fixed: number | null = null;
  now = (): number => this.fixed ?? Date.now();
}

export interface BinanceAccount {
  accountId: number;
  apiKey: string;
  secret: string;
  rest: BinanceRest;
}

export class BinanceFixture {
  private readonly streams: BinanceStream[] = [];

  private constructor(readonly h: Harness, readonly clock: TestClock) {}

  static async start(options: Partial<ServerOptions> = {}): Promise<BinanceFixture> {
    const clock = new TestClock();
    const h = await Harness.start({ clock, ...options });
    return new BinanceFixture(h, clock);
  }

  get admin() {
    return this.h.admin;
  }

  get exchange() {
    return this.h.server.exchange;
  }

  /** Sets the server clock (null: wall clock); signed clients read it, however long the test takes. */
  setTime(ms: number | null): void {
    this.clock.fixed = ms;
  }

  async account(usdt = '0'): Promise<BinanceAccount> {
    const created = await this.admin.createAccount();
    if (usdt !== '0') await this.admin.deposit(created.accountId, usdt);
    const rest = new BinanceRest(this.h.server.url, created.apiKey, created.secret);
    rest.now = () => this.h.now();
    return { accountId: created.accountId, apiKey: created.apiKey, secret: created.secret, rest };
  }

  /** Opens the account's stream (a fresh listenKey) at `/binance/private/ws?listenKey=`. */
  async stream(account: BinanceAccount, path?: (key: string) => string, options: { autoPong?: boolean } = {}): Promise<BinanceStream> {
    const key = await account.rest.listenKey();
    const stream = await BinanceStream.connect(this.h.server.wsUrl, path === undefined ? `/binance/private/ws?listenKey=${key}` : path(key), options);
    this.streams.push(stream);
    return stream;
  }

  view(accountId: number) {
    return this.exchange.engine.account(accountId)!.view;
  }

  async stop(): Promise<void> {
    for (const stream of this.streams) stream.close();
    await this.h.stop();
  }
}

/** The last ACCOUNT_UPDATE among `events`. */
export function lastAccountUpdate(events: readonly Record<string, unknown>[]): Record<string, unknown> {
  const found = events.filter((e) => e.e === 'ACCOUNT_UPDATE');
  if (found.length === 0) throw new Error(`no ACCOUNT_UPDATE in ${JSON.stringify(events.map((e) => e.e))}`);
  return found[found.length - 1]!;
}
