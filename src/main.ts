/**
 * `npm start`: one perpstream process on 127.0.0.1:8080 with the demo symbols, a demo account per
 * exchange (with that exchange's defaults) whose keys it prints, and the market simulator trading
 * so that pushes flow at once. State lives in the data directory: a restart recovers it (journal
 * and snapshots) before serving.
 *
 * `perpstream engine` is the same process publishing every event to Redis Streams for the
 * scale-out's gateways; `perpstream gateway` is one of those gateways (src/scaleout/).
 */
import { parseAmount } from './engine/fixed.js';
import { parsePrice } from './engine/format.js';
import { dialectSettings, readSettings, UsageError, type Settings } from './config.js';
import { createLogger, logFnOf, type Logger } from './ops/log.js';
import { Ops } from './ops/ops.js';
import { ACCOUNT_DEFAULTS, type DialectName } from './dialects/account-defaults.js';
import { startServer } from './server/server.js';
import { engineMode } from './scaleout/engine-mode.js';
import { startGateway } from './scaleout/gateway.js';
import { Simulator } from './sim/simulator.js';

/** The demo accounts a fresh data directory gets (ids 1…4, in this order), one per exchange. */
const DEMO_ACCOUNTS: readonly (readonly [string, DialectName])[] = [['alice', 'xt'], ['bob', 'binance'], ['carol', 'bybit'], ['dave', 'kucoin']];
const DIALECT_TITLES: Readonly<Record<DialectName, string>> = { xt: 'XT', binance: 'Binance', bybit: 'Bybit', kucoin: 'KuCoin' };

async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2), process.env);
  const { config } = settings;
  if (settings.printConfig) {
    // A starting point for a configuration file: everything in effect, the admin token left out.
    process.stdout.write(`${JSON.stringify({ ...config, server: { ...config.server, adminToken: null } }, null, 2)}\n`);
    return;
  }
  const logger = createLogger({ level: settings.logLevel, format: settings.logFormat });
  const ops = new Ops({ logger, metricsPath: settings.metricsPath });
  // The ops port opens before recovery, so /readyz can say "recovering" while the main port is still closed.
  if (settings.opsPort !== null) await ops.listen(settings.opsPort, settings.opsHost);
  if (settings.configFile !== null) logger.info({ configFile: settings.configFile, symbols: config.symbols.map((s) => s.symbol) }, `configuration from ${settings.configFile}`);
  if (settings.mode === 'gateway') return runGateway(settings, logger, ops);
  const { defaultPositionMode, ...engine } = config.engine;
  const dialects = dialectSettings(config);
  const scaleOut = settings.mode === 'engine' ? engineMode(config.scaleout, settings.adminToken, logFnOf(logger)) : null;
  const server = await startServer({
    extension: scaleOut?.extension,
    symbols: config.symbols, adminToken: settings.adminToken, dataDir: settings.dataDir, port: settings.port, host: settings.host,
    logger, ops, opsOnMainPort: config.ops.onMainPort, rateLimits: config.server.rateLimits,
    limits: config.limits, dialectSettings: dialects, listenKeyTtlMs: dialects['xt.listenKeyTtlMs'],
    defaultPositionMode, engine,
    priceTickMs: config.timings.priceTickMs, fundingSchedule: config.timings.fundingSchedule,
    snapshotEveryCommands: config.timings.snapshotEveryCommands, snapshotEveryMs: config.timings.snapshotEveryMs,
    keepSnapshots: config.timings.keepSnapshots, replayWindow: config.timings.replayWindow, drainMs: config.timings.drainMs,
  });
  const { exchange, credentials } = server;
  logger.info({ url: server.url, wsUrl: server.wsUrl },
    `perpstream listening on ${server.url} (XT REST at /future/..., user stream at ${server.wsUrl}/ws/user; ` +
    `Binance ${server.url}/binance/fapi, stream ${server.wsUrl}/binance/ws/<listenKey>; Bybit ${server.url}/bybit/v5, stream ${server.wsUrl}/bybit/v5/private; ` +
    `KuCoin ${server.url}/kucoin-futures/api, stream from bullet-private; health ${server.url}/healthz, ${server.url}/readyz, metrics ${server.url}${settings.metricsPath}; see README.md)`);
  // Printed, not logged: the operator's credentials never go into the log stream.
  console.log(`admin API: ${server.url}/admin/v1  token: ${settings.adminTokenGenerated ? `${settings.adminToken} (generated)` : '(as given)'}`);

  // The demo's starting marks (in ticks), for the demo symbols the configuration lists; other
  // symbols start without a mark (set one with POST /admin/v1/mark-price) and are not simulated.
  const startPrices = new Map<string, number>();
  const demoStarts = [['btc_usdt', '60000'], ['eth_usdt', '3000'], ['btc_usd', '60000'], ['btc_usdt270326', '60000'], ['btc_usd270326', '60000']] as const;
  for (const [symbol, price] of demoStarts) {
    const symbolConfig = exchange.engine.symbols().find((c) => c.symbol === symbol);
    const ticks = symbolConfig === undefined ? undefined : parsePrice(symbolConfig, price);
    if (ticks !== undefined) startPrices.set(symbol, ticks);
  }
  const fresh = exchange.engine.account(1) === undefined;
  if (fresh) for (const [symbol, price] of startPrices) await exchange.execute({ type: 'setMarkPrice', symbol, price });
  // One demo account per exchange, created with that exchange's defaults so a client written for
  // it places its default order unchanged (every account still works in all four dialects).
  const demos: { name: string; dialect: DialectName; accountId: number }[] = [];
  for (const [name, dialect] of fresh ? DEMO_ACCOUNTS : []) {
    const { result } = await exchange.execute({ type: 'createAccount', ...ACCOUNT_DEFAULTS[dialect] });
    if (!result.ok || result.kind !== 'account') throw new Error('could not create a demo account');
    await exchange.execute({ type: 'deposit', accountId: result.accountId, asset: 'USDT', amount: parseAmount('100000') });
    // Margin for the coin-margined symbols, when the configuration lists any.
    if (exchange.engine.symbols().some((c) => c.settleAsset === 'BTC')) {
      await exchange.execute({ type: 'deposit', accountId: result.accountId, asset: 'BTC', amount: parseAmount('2') });
    }
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

  if (!fresh) logger.info('demo accounts from an earlier run are kept; their keys are in the data directory (credentials.json)');

  let simulator: Simulator | null = null;
  if (settings.simulator) {
    // The demo accounts trade with the simulator's makers, so watching one shows live pushes at once.
    simulator = new Simulator({
      exchange, startPrices, log: (message) => logger.error(message),
      guestTakers: DEMO_ACCOUNTS.map((_, i) => i + 1).filter((id) => exchange.engine.account(id) !== undefined),
    });
    await simulator.start();
    logger.info('market simulator running (--no-sim to turn it off)');
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again during shutdown: exiting now, without waiting for it to finish`);
      process.exit(1);
    }
    stopping = true;
    // Graceful: stop accepting, drain, close streams with 1001, take a last snapshot, close the journal.
    (simulator?.stop() ?? Promise.resolve()).then(() => server.shutdown(signal)).then(() => ops.close()).then(() => process.exit(0), (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** `perpstream gateway`: the streams of the engine at scaleout.engineUrl, from Redis; REST forwarded to the engine. */
async function runGateway(settings: Settings, logger: Logger, ops: Ops): Promise<void> {
  const { config } = settings;
  const gateway = await startGateway({
    engineUrl: config.scaleout.engineUrl, token: settings.adminToken, scaleOut: config.scaleout,
    port: settings.port, host: settings.host, limits: config.limits, dialectSettings: dialectSettings(config),
    replayWindow: config.timings.replayWindow, drainMs: config.timings.drainMs, logger, ops, opsOnMainPort: config.ops.onMainPort,
    // A new stream epoch (the engine's data directory replaced): start again from it.
    onEpochChange: () => process.exit(75),
  });
  logger.info({ url: gateway.url, wsUrl: gateway.wsUrl, engineUrl: config.scaleout.engineUrl }, `perpstream gateway listening on ${gateway.url} (streams of every dialect; REST forwarded to ${config.scaleout.engineUrl})`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    gateway.shutdown(signal).then(() => ops.close()).then(() => process.exit(0), (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`perpstream: ${error.message}\n`);
    process.exit(2);
  }
  // Start-up failed (recovery refused a damaged journal, the port is taken, …): one fatal line.
  createLogger().fatal({ err: error }, `perpstream could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
