/**
 * The ccxt 4.5.84 `ccxt.pro.bybit` fixture of the Bybit suites: a started perpstream (one-way
 * accounts, mark 60000 / 3000) and funded accounts, each with a ccxt instance configured exactly
 * as protocols.md §6.1 says (REST under /bybit, the private stream at /bybit/v5/private), plus the
 * engine's state to compare with.
 */
import ccxt from 'ccxt';
import assert from 'node:assert/strict';
import type { OrderSnapshot, PositionSnapshot } from '../../src/engine/types.js';
import type { AccountView, WalletView } from '../../src/engine/view.js';
import type { RunningServer, ServerOptions } from '../../src/server/server.js';
import { Harness } from '../support/harness.js';
import type { AdminClient } from '../support/xt-client.js';
import { BTC, tap, withTimeout } from './helpers.js';

export const T = 5_000;

export type BybitPro = InstanceType<typeof ccxt.pro.bybit>;

export interface Account {
  accountId: number;
  apiKey: string;
  secret: string;
  ex: BybitPro;
}

export interface Fixture {
  server: RunningServer;
  admin: AdminClient;
  account(deposit?: string, options?: Record<string, unknown>): Promise<Account>;
  ccxt(credentials: { apiKey: string; secret: string }, options?: Record<string, unknown>): BybitPro;
  view(accountId: number): AccountView;
  wallet(accountId: number): WalletView;
  position(accountId: number, symbol?: string): PositionSnapshot;
  order(accountId: number, id: string): OrderSnapshot | undefined;
  cancelEverything(): Promise<void>;
  close(): Promise<void>;
}

/** `options`: extra server options (the inverse suite's symbol list). */
export async function startFixture(options: Partial<ServerOptions> = {}): Promise<Fixture> {
  const harness = await Harness.start({ defaultPositionMode: 'ONE_WAY', ...options });
  const { server, admin } = harness;
  await admin.markPrice('btc_usdt', '60000');
  await admin.markPrice('eth_usdt', '3000');
  const H = server.url;
  const W = server.wsUrl;
  const instances: BybitPro[] = [];
  const accountIds: number[] = [];

  // protocols.md §6.1, verbatim, plus enableRateLimit off (the client-side throttle only slows the suite).
  const makeCcxt = (credentials: { apiKey: string; secret: string }, options: Record<string, unknown> = {}): BybitPro => {
    const ex = new ccxt.pro.bybit({
      apiKey: credentials.apiKey, secret: credentials.secret, enableRateLimit: false, has: { fetchCurrencies: false },
      options: { fetchMarkets: { types: ['linear'] }, enableUnifiedAccount: true, enableUnifiedMargin: false, ...options },
      urls: { api: { spot: `${H}/bybit`, futures: `${H}/bybit`, v2: `${H}/bybit`, public: `${H}/bybit`, private: `${H}/bybit`,
        ws: { private: { contract: `${W}/bybit/v5/private` } } } },
    });
    tap(ex);
    instances.push(ex);
    return ex;
  };

  const fixture: Fixture = {
    server,
    admin,
    ccxt: makeCcxt,
    async account(deposit = '1000', options = {}) {
      const created = await harness.created(deposit);
      accountIds.push(created.accountId);
      const ex = makeCcxt(created, options);
      await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
      await withTimeout(ex.loadHttpProxyAgent(), T, 'loadHttpProxyAgent');
      return { accountId: created.accountId, apiKey: created.apiKey, secret: created.secret, ex };
    },
    view: (accountId) => server.exchange.engine.account(accountId)!.view,
    wallet: (accountId) => fixture.view(accountId).wallets.find((w) => w.asset === 'USDT')!,
    position(accountId, symbol = 'btc_usdt') {
      const p = fixture.view(accountId).positions.find((x) => x.symbol === symbol && x.positionSide === 'BOTH');
      if (p === undefined) throw new Error(`no ${symbol} position for ${accountId}`);
      return p;
    },
    order(accountId, id) {
      const n = Number(id);
      return fixture.view(accountId).orders.find((o) => o.orderId === n) ?? server.exchange.history.finishedOrder(accountId, n);
    },
    async cancelEverything() {
      for (const accountId of accountIds) {
        for (const config of server.exchange.engine.symbols()) await server.exchange.execute({ type: 'cancelAll', accountId, symbol: config.symbol });
      }
    },
    async close() {
      await Promise.all(instances.splice(0).map((ex) => withTimeout(ex.close(), T, 'ccxt close').catch(() => undefined)));
      await harness.stop();
    },
  };
  return fixture;
}

/** createOrder through ccxt; returns the order id it answers. */
export async function place(a: Account, type: 'limit' | 'market', side: 'buy' | 'sell', amount: number, price?: number, params: Record<string, unknown> = {}): Promise<string> {
  const order = await withTimeout(a.ex.createOrder(BTC, type, side, amount, price, params), T, `createOrder ${type} ${side} ${amount}@${price ?? 'market'}`);
  assert.equal(typeof order.id, 'string', `createOrder returns the order id: ${JSON.stringify(order.info)}`);
  return order.id!;
}
