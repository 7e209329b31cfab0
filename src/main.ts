/**
 * `npm start`: one perpstream process on 127.0.0.1:8080 with the demo symbols, a demo account per
 * exchange (with that exchange's defaults) whose keys it prints, and the market simulator trading
 * so that pushes flow at once. State lives in the data directory: a restart recovers it (journal
 * and snapshots) before serving.
 */
import { DEMO_SYMBOLS } from './engine/demo-symbols.js';
import { parseAmount } from './engine/fixed.js';
import { readSettings, UsageError } from './config.js';
import { ACCOUNT_DEFAULTS, type DialectName } from './dialects/account-defaults.js';
import { startServer } from './server/server.js';
import { Simulator } from './sim/simulator.js';

/** The demo accounts a fresh data directory gets (ids 1…4, in this order), one per exchange. */
const DEMO_ACCOUNTS: readonly (readonly [string, DialectName])[] = [['alice', 'xt'], ['bob', 'binance'], ['carol', 'bybit'], ['dave', 'kucoin']];
const DIALECT_TITLES: Readonly<Record<DialectName, string>> = { xt: 'XT', binance: 'Binance', bybit: 'Bybit', kucoin: 'KuCoin' };

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
  // One demo account per exchange, created with that exchange's defaults so a client written for
  // it places its default order unchanged (every account still works in all four dialects).
  const demos: { name: string; dialect: DialectName; accountId: number }[] = [];
  for (const [name, dialect] of fresh ? DEMO_ACCOUNTS : []) {
    const { result } = await exchange.execute({ type: 'createAccount', ...ACCOUNT_DEFAULTS[dialect] });
    if (!result.ok || result.kind !== 'account') throw new Error('could not create a demo account');
    await exchange.execute({ type: 'deposit', accountId: result.accountId, asset: 'USDT', amount: parseAmount('100000') });
    demos.push({ name, dialect, accountId: result.accountId });
  }
  // Printed once all exist: a script that waits for the last line finds every account made.
  for (const { name, dialect, accountId } of demos) {
    const credential = credentials.issue(accountId);
    const { positionMode, marginMode } = ACCOUNT_DEFAULTS[dialect];
    console.log(`demo account ${name}: accountId ${accountId} apiKey ${credential.apiKey} secret ${credential.secret} passphrase ${credential.passphrase}`);
    console.log(`  for ${DIALECT_TITLES[dialect]} clients: ${positionMode === 'HEDGE' ? 'hedge' : 'one-way'} mode, ${marginMode === 'ISOLATED' ? 'isolated' : 'cross'} margin`);
    console.log(`  watch it: npm run watch -- --url ${server.url} --api-key ${credential.apiKey} --secret ${credential.secret}`);
  }

  if (!fresh) console.log('demo accounts from an earlier run are kept; their keys are in the data directory (credentials.json)');

  let simulator: Simulator | null = null;
  if (settings.simulator) {
    // The demo accounts trade with the simulator's makers, so watching one shows live pushes at once.
    simulator = new Simulator({ exchange, startPrices, guestTakers: DEMO_ACCOUNTS.map((_, i) => i + 1).filter((id) => exchange.engine.account(id) !== undefined) });
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
