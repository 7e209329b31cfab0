/**
 * `npm start`: one perpstream process on 127.0.0.1:8080 with the demo symbols, two demo accounts
 * whose keys it prints, and the market simulator trading so that pushes flow at once. State lives
 * in the data directory: a restart recovers it (journal and snapshots) before serving.
 */
import { DEMO_SYMBOLS } from './engine/demo-symbols.js';
import { parseAmount } from './engine/fixed.js';
import { readSettings, UsageError } from './config.js';
import { startServer } from './server/server.js';
import { Simulator } from './sim/simulator.js';

async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2), process.env);
  const server = await startServer({
    symbols: DEMO_SYMBOLS, adminToken: settings.adminToken, dataDir: settings.dataDir, port: settings.port, host: settings.host,
    log: (message) => console.log(message),
    // Marks follow the index every second; funding settles at 00:00, 08:00 and 16:00 UTC.
    priceTickMs: 1000, fundingSchedule: true,
  });
  const { exchange, credentials, recovery } = server;
  if (recovery !== null) {
    console.log(`recovered ${settings.dataDir} in ${recovery.ms} ms: snapshot at command ${recovery.snapshotSeq ?? 'none'}, ` +
      `${recovery.replayed} journal commands replayed, ${recovery.checkpointsVerified} state hashes checked, now at command ${recovery.cmdSeq}, ` +
      `stream epoch ${recovery.epoch}${recovery.newEpoch ? ' (new)' : ''}`);
  }
  console.log(`perpstream listening on ${server.url} (XT REST at /future/..., user stream at ${server.wsUrl}/ws/user)`);
  console.log(`  dialects: Binance ${server.url}/binance/fapi (stream ${server.wsUrl}/binance/ws/<listenKey>), ` +
    `Bybit ${server.url}/bybit/v5 (stream ${server.wsUrl}/bybit/v5/private), ` +
    `KuCoin ${server.url}/kucoin-futures/api (stream from bullet-private); see README.md`);
  console.log(`admin API: ${server.url}/admin/v1  token: ${settings.adminTokenGenerated ? `${settings.adminToken} (generated)` : '(as given)'}`);

  const startPrices = new Map([['btc_usdt', 600_000], ['eth_usdt', 300_000]]);
  const fresh = exchange.engine.account(1) === undefined;
  if (fresh) for (const [symbol, price] of startPrices) await exchange.execute({ type: 'setMarkPrice', symbol, price });
  for (const name of fresh ? ['alice', 'bob'] : []) {
    const { result } = await exchange.execute({ type: 'createAccount' });
    if (!result.ok || result.kind !== 'account') throw new Error('could not create a demo account');
    await exchange.execute({ type: 'deposit', accountId: result.accountId, asset: 'USDT', amount: parseAmount('100000') });
    const credential = credentials.issue(result.accountId);
    console.log(`demo account ${name}: accountId ${result.accountId} apiKey ${credential.apiKey} secret ${credential.secret}`);
    console.log(`  watch it: npm run watch -- --url ${server.url} --api-key ${credential.apiKey} --secret ${credential.secret}`);
  }

  if (!fresh) console.log('demo accounts from an earlier run are kept; their keys are in the data directory (credentials.json)');

  let simulator: Simulator | null = null;
  if (settings.simulator) {
    // The demo accounts trade with the simulator's makers, so watching one shows live pushes at once.
    simulator = new Simulator({ exchange, startPrices, guestTakers: [1, 2].filter((id) => exchange.engine.account(id) !== undefined) });
    await simulator.start();
    console.log('market simulator running (--no-sim to turn it off)');
  }

  const stop = (): void => {
    simulator?.stop();
    // Graceful: stop serving, take a last snapshot, close the journal.
    server.close().then(() => process.exit(0), (error: unknown) => {
      console.error("shutdown failed:", error);
      process.exit(1);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError ? `perpstream: ${error.message}` : error);
  process.exit(error instanceof UsageError ? 2 : 1);
});
