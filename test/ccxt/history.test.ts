/**
 * ccxt 4.5.84 history calls against perpstream, each exchange configured as its suite in this
 * directory does: fetchFundingHistory, fetchLedger and fetchPositionsHistory wherever ccxt
 * implements them (binanceusdm has no fetchPositionsHistory), every value equal to what the engine
 * did in the shared history scenario (test/support/history-scenario.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import ccxt from 'ccxt';
import { formatAmount } from '../../src/engine/fixed.js';
import { eventsOf, playHistoryScenario, type HistoryAccount, type HistoryScenario } from '../support/history-scenario.js';
import { BTC, withTimeout } from './helpers.js';

const T = 10_000;

type Exchange = {
  loadMarkets(): Promise<unknown>;
  fetchFundingHistory(symbol?: string, since?: number, limit?: number): Promise<{ amount?: number; symbol?: string; timestamp?: number }[]>;
  fetchLedger(code?: string, since?: number, limit?: number): Promise<{ amount?: number; direction?: string; timestamp?: number; currency?: string; type?: string }[]>;
  fetchPositionsHistory(symbols?: string[], since?: number, limit?: number): Promise<{ symbol?: string; side?: string; entryPrice?: number; realizedPnl?: number; lastUpdateTimestamp?: number }[]>;
  close(): Promise<void>;
};

describe('ccxt history calls: fetchFundingHistory, fetchLedger, fetchPositionsHistory', () => {
  let s: HistoryScenario;
  const instances: Exchange[] = [];

  const make = (dialect: 'binanceusdm' | 'bybit' | 'kucoinfutures' | 'xt', account: HistoryAccount): Exchange => {
    const H = s.harness.server.url;
    const credentials = { apiKey: account.apiKey, secret: account.secret, enableRateLimit: false, has: { fetchCurrencies: false } };
    let ex: unknown;
    switch (dialect) {
      case 'binanceusdm':
        ex = new ccxt.binanceusdm({ ...credentials, urls: { api: {
          fapiPublic: `${H}/binance/fapi/v1`, fapiPrivate: `${H}/binance/fapi/v1`, fapiPrivateV2: `${H}/binance/fapi/v2`,
          fapiPrivateV3: `${H}/binance/fapi/v3`, sapi: `${H}/binance/sapi/v1` } } });
        break;
      case 'bybit':
        ex = new ccxt.bybit({ ...credentials, options: { fetchMarkets: { types: ['linear'] }, enableUnifiedAccount: true, enableUnifiedMargin: false },
          urls: { api: { spot: `${H}/bybit`, futures: `${H}/bybit`, v2: `${H}/bybit`, public: `${H}/bybit`, private: `${H}/bybit` } } });
        break;
      case 'kucoinfutures':
        ex = new ccxt.kucoinfutures({ ...credentials, password: account.passphrase, options: { uta: false, hf: false },
          urls: { api: { public: `${H}/kucoin-spot`, private: `${H}/kucoin-spot`, utaPrivate: `${H}/kucoin-spot`, uta: `${H}/kucoin-spot`,
            utaV2: `${H}/kucoin-spot`, futuresPublic: `${H}/kucoin-futures`, futuresPrivate: `${H}/kucoin-futures` } } });
        break;
      case 'xt':
        ex = new ccxt.xt({ ...credentials, options: { defaultType: 'swap' }, urls: { api: { spot: H, linear: H, inverse: H, user: H } } });
        break;
    }
    instances.push(ex as Exchange);
    return ex as Exchange;
  };

  /** What every exchange must report about account a: its one funding fee, its money movements, its closed long. */
  const fundingFee = (): number => Number(formatAmount(eventsOf(s, s.a.accountId, 'funding')[0]!.fundingFee));

  before(async () => {
    s = await playHistoryScenario();
  });
  after(async () => {
    for (const ex of instances) await ex.close().catch(() => undefined);
    await s?.stop();
  });

  for (const dialect of ['binanceusdm', 'bybit', 'kucoinfutures', 'xt'] as const) {
    test(`${dialect}: fetchFundingHistory is the engine's funding settlement`, async () => {
      const ex = make(dialect, s.a);
      await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
      const history = await withTimeout(ex.fetchFundingHistory(BTC), T, 'fetchFundingHistory');
      assert.equal(history.length, 1, JSON.stringify(history));
      assert.equal(history[0]!.symbol, BTC);
      // Bybit's execFee is what the position paid (ccxt keeps its sign): the long paid.
      assert.equal(history[0]!.amount, dialect === 'bybit' ? -fundingFee() : fundingFee());
      assert.equal(history[0]!.timestamp, eventsOf(s, s.a.accountId, 'funding')[0]!.time);
    });

    test(`${dialect}: fetchLedger holds every money movement of the account`, async () => {
      const ex = make(dialect, s.a);
      await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
      const ledger = await withTimeout(ex.fetchLedger('USDT', s.times.accounts), T, 'fetchLedger');
      // ccxt's kucoin parser drops the sign of a futures entry (its type, RealisedPNL, names no direction): read KuCoin's signed amount.
      const signed = (entry: (typeof ledger)[number]): number =>
        dialect === 'kucoinfutures' ? Number((entry as { info: { amount: number } }).info.amount) : (entry.direction === 'out' ? -1 : 1) * (entry.amount ?? 0);
      const net = ledger.reduce((sum, entry) => sum + signed(entry), 0);
      // Deposit 10,000, withdrawal 100, the round trip's PnL, fees and funding: the wallet's change.
      const balances = eventsOf(s, s.a.accountId, 'balance');
      assert.ok(Math.abs(net - Number(formatAmount(balances[balances.length - 1]!.balance.walletBalance))) < 1e-9, `${dialect}: ${net} from ${JSON.stringify(ledger.map((e) => [e.type, e.direction, e.amount]))}`);
      assert.ok(ledger.every((entry) => entry.currency === 'USDT'));
      assert.deepEqual(ledger.map((e) => e.timestamp), [...ledger.map((e) => e.timestamp)].sort((x, y) => x! - y!));
    });

    if (dialect !== 'binanceusdm') {
      test(`${dialect}: fetchPositionsHistory is the closed long (and v's liquidated one)`, async () => {
        const ex = make(dialect, s.a);
        await withTimeout(ex.loadMarkets(), T, 'loadMarkets');
        const positions = await withTimeout(ex.fetchPositionsHistory([BTC]), T, 'fetchPositionsHistory');
        assert.equal(positions.length, 1, JSON.stringify(positions));
        assert.equal(positions[0]!.symbol, BTC);
        assert.equal(positions[0]!.entryPrice, 60000);
        assert.equal(positions[0]!.side ?? 'long', 'long');
        const v = await withTimeout(make(dialect, s.v).fetchPositionsHistory([BTC]), T, 'fetchPositionsHistory v');
        assert.equal(v.length, 1);
      });
    }
  }
});
