/**
 * The newcomer's path: the simulator makes live pushes by itself, and the watch CLI, connected as
 * an account, prints them readably. Real server, real child process for the CLI.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEMO_SYMBOLS, INVERSE_AND_DELIVERY_DEMO_SYMBOLS, MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import { Simulator } from '../../src/sim/simulator.js';
import { afterEvents } from '../support/barriers.js';
import { Harness } from '../support/harness.js';
import { ManualTime } from '../support/manual-time.js';
import { withTimeout } from '../support/timeout.js';

/** A seeded PRNG (mulberry32), so the simulator's walk is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('market simulator and watch CLI', () => {
  let harness: Harness;
  let simulator: Simulator;
  before(async () => {
    harness = await Harness.start();
    await harness.admin.markPrice('btc_usdt', '60000');
    await harness.admin.markPrice('eth_usdt', '3000');
    simulator = new Simulator({
      exchange: harness.server.exchange, startPrices: new Map([['btc_usdt', 600_000], ['eth_usdt', 300_000]]), tickMs: 20, random: seeded(42),
    });
    await simulator.start();
  });
  after(async () => {
    simulator.stop();
    await harness.stop();
  });

  test('the simulator moves the mark, quotes and trades, and the engine stays consistent', async () => {
    const engine = harness.server.exchange.engine;
    const startSeq = engine.cmdSeq;
    const market = () => engine.market('btc_usdt')!;
    await afterEvents(harness.server.exchange.events, () => engine.cmdSeq - startSeq > 50 && market().lastPrice !== null, 'more than 50 commands and a trade from the simulator');
    assert.ok(engine.cmdSeq - startSeq > 50, `commands flowed (${engine.cmdSeq - startSeq})`);
    assert.notEqual(market().lastPrice, null, 'trades happened');
    const { bestBid, bestAsk } = market();
    assert.ok(bestBid !== null && bestAsk !== null && bestBid.price < bestAsk.price, 'two-sided book');
    engine.audit();
  });

  test('the watch CLI prints an account\'s pushes, one readable line each', async () => {
    const account = await harness.admin.createAccount();
    const cli = spawn(process.execPath, [
      fileURLToPath(new URL('../../src/cli/watch.js', import.meta.url)),
      '--url', harness.server.url, '--api-key', account.apiKey, '--secret', account.secret,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let waiting: (() => void) | null = null;
    cli.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      waiting?.();
    });
    /** Resolves once the CLI has printed `text` (checked as its output arrives). */
    const printed = (text: string): Promise<void> => withTimeout(new Promise<void>((resolve) => {
      const check = (): void => {
        if (output.includes(text)) resolve();
      };
      waiting = check;
      check();
    }), 5_000, `the CLI to print ${text}`);
    try {
      await printed('subscribed');
      await printed('"code":0');
      await harness.admin.deposit(account.accountId, '250.5');
      await printed('wallet 250.5');
      assert.match(output, /\[seq +1\] balance +usdt wallet 250\.5 available 250\.5/);
    } finally {
      cli.kill();
    }
  });
});

describe('market simulator with coin-margined and delivery symbols', () => {
  test('it funds its accounts in each settle asset, trades the inverse symbol, and leaves a delivery symbol alone once its delivery time has come', async () => {
    // Engine time just past the quarterly delivery: the delivery symbols no longer trade.
    const harness = await Harness.start({ symbols: [...DEMO_SYMBOLS, ...INVERSE_AND_DELIVERY_DEMO_SYMBOLS], clock: new ManualTime(MARCH_2027_DELIVERY + 1) });
    const simulator = new Simulator({
      exchange: harness.server.exchange, tickMs: 20, random: seeded(7),
      startPrices: new Map([['btc_usd', 600_000], ['btc_usdt270326', 600_000], ['btc_usd270326', 600_000]]),
    });
    try {
      await simulator.start();
      const engine = harness.server.exchange.engine;
      const startSeq = engine.cmdSeq;
      await afterEvents(harness.server.exchange.events, () => engine.market('btc_usd')!.lastPrice !== null && engine.cmdSeq - startSeq > 50, 'trades in btc_usd');
      const maker = engine.account(1)!.view;
      assert.deepEqual(maker.wallets.map((w) => w.asset), ['BTC', 'USDT'], 'funded in both settle assets');
      for (const symbol of ['btc_usdt270326', 'btc_usd270326']) {
        const market = engine.market(symbol)!;
        assert.equal(market.bestBid, null, `${symbol}: nothing quoted after its delivery time`);
        assert.equal(market.lastPrice, null, `${symbol}: nothing traded`);
      }
      engine.audit();
    } finally {
      await simulator.stop();
      await harness.stop();
    }
  });
});
