/**
 * `npm start` until the server exists: runs a scripted trade through the engine and prints every
 * event it emits, one line each, with amounts and prices as decimal strings.
 */
import { Engine } from './engine/engine.js';
import { DEMO_SYMBOLS } from './engine/demo-symbols.js';
import { parseAmount } from './engine/fixed.js';
import { describeEvent } from './engine/describe.js';
import { buildSymbolConfig } from './engine/symbol.js';
import type { Command, CommandResult } from './engine/types.js';

const engine = new Engine({ symbols: DEMO_SYMBOLS });
const symbols = new Map(DEMO_SYMBOLS.map((s) => [s.symbol, buildSymbolConfig(s)]));
let clock = 1_700_000_000_000;

function run(label: string, command: Command): CommandResult {
  const { cmdSeq, result, events } = engine.apply({ ...command, time: (clock += 1000) });
  console.log(`\n#${cmdSeq} ${label}${result.ok ? '' : `  → refused: ${result.message}`}`);
  for (const event of events) console.log(`  ${describeEvent(event, symbols)}`);
  return result;
}

const maker = run('create account (maker)', { type: 'createAccount', time: 0 });
const taker = run('create account (taker)', { type: 'createAccount', time: 0 });
if (maker.ok && maker.kind === 'account' && taker.ok && taker.kind === 'account') {
  const m = maker.accountId;
  const t = taker.accountId;
  const order = { type: 'placeOrder', symbol: 'btc_usdt', orderType: 'LIMIT', reduceOnly: false, positionSide: 'BOTH' } as const;
  run('maker deposits 10,000 USDT', { type: 'deposit', accountId: m, asset: 'USDT', amount: parseAmount('10000'), time: 0 });
  run('taker deposits 10,000 USDT', { type: 'deposit', accountId: t, asset: 'USDT', amount: parseAmount('10000'), time: 0 });
  run('mark price 60,000', { type: 'setMarkPrice', symbol: 'btc_usdt', price: 600_000, time: 0 });
  run('maker sells 100 contracts (0.01 BTC) at 60,010', { ...order, accountId: m, side: 'SELL', timeInForce: 'GTC', price: 600_100, qty: 100, clientOrderId: 'ask-1', time: 0 });
  run('taker buys 40 at 60,020 (IOC): partial fill of the maker', { ...order, accountId: t, side: 'BUY', timeInForce: 'IOC', price: 600_200, qty: 40, time: 0 });
  run('taker sells 40 at 59,990 (GTC): reduces, rests', { ...order, accountId: t, side: 'SELL', timeInForce: 'GTC', price: 599_900, qty: 40, time: 0 });
  run('maker cancels the rest of its ask', { type: 'cancelOrder', accountId: m, symbol: 'btc_usdt', clientOrderId: 'ask-1', time: 0 });
  engine.audit();
  console.log(`\nstate hash ${engine.stateHash()}`);
}
