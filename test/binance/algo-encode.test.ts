/**
 * The Binance encoder over real engine events of conditional orders: ALGO_UPDATE field lists, the
 * order of pushes at trigger, and FINISHED when the placed order ends in a later command — built
 * from the ended conditional the service's History keeps (the encoder's lookup), the same for every
 * encoding of the same events.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { Engine } from '../../src/engine/engine.js';
import type { Command, EngineEvent } from '../../src/engine/types.js';
import { History } from '../../src/service/history.js';
import { ALGO_ID_BASE } from '../../src/dialects/binance/algo.js';
import { BinanceEncoder } from '../../src/dialects/binance/encode.js';
import { BinanceSymbols } from '../../src/dialects/binance/symbols.js';

type Json = Record<string, unknown>;
type Cmd = Command extends infer C ? (C extends Command ? Omit<C, 'time'> : never) : never;

const symbols = new BinanceSymbols(new Engine({ symbols: DEMO_SYMBOLS }).symbols());

/** Account 1 trades with accounts 2 and 3; every event goes through a History, as the service's does. */
function session() {
  const engine = new Engine({ symbols: DEMO_SYMBOLS, defaultPositionMode: 'ONE_WAY' });
  const history = new History();
  let time = 1_700_000_000_000;
  const run = (cmd: Cmd): EngineEvent[] => {
    const applied = engine.apply({ ...cmd, time: ++time } as Command);
    if (!applied.result.ok) throw new Error(`${cmd.type}: ${applied.result.message}`);
    for (const e of applied.events) history.record(e);
    return applied.events.filter((e) => e.accountId === 1);
  };
  for (let i = 0; i < 3; i++) run({ type: 'createAccount' });
  for (const accountId of [1, 2, 3]) run({ type: 'deposit', accountId, asset: 'USDT', amount: 1_000_000_000_000n });
  run({ type: 'setMarkPrice', symbol: 'btc_usdt', price: 600_000 });
  const limit = (accountId: number, side: 'BUY' | 'SELL', price: number, qty = 10) => run({
    type: 'placeOrder', accountId, symbol: 'btc_usdt', side, positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price, qty, reduceOnly: false,
  });
  const market = (accountId: number, side: 'BUY' | 'SELL', qty = 10) => run({
    type: 'placeOrder', accountId, symbol: 'btc_usdt', side, positionSide: 'BOTH', orderType: 'MARKET', timeInForce: 'IOC', price: 0, qty, reduceOnly: false,
  });
  limit(2, 'SELL', 600_000);
  market(3, 'BUY');
  return { run, history, limit, market };
}

const label = (e: Json): string => e.e === 'ALGO_UPDATE' ? `ALGO_UPDATE ${(e.o as Json).X}` : e.e === 'ORDER_TRADE_UPDATE' ? `ORDER_TRADE_UPDATE ${(e.o as Json).x}` : String(e.e);

describe('Binance encoder: algo orders', () => {
  it('a STOP (limit) order: NEW; at trigger TRIGGERING, TRIGGERED, the placed order NEW; its cancel two commands later is FINISHED from History', () => {
    const { run, history, limit, market } = session();
    const encoder = new BinanceEncoder(symbols, (accountId, id) => history.finishedConditional(accountId, id));
    const placed = run({
      type: 'placeConditional', accountId: 1, symbol: 'btc_usdt', kind: 'PLAN', side: 'SELL', positionSide: 'BOTH', triggerSource: 'LAST',
      triggerPrice: 595_000, triggerDirection: 'FALL', orderType: 'LIMIT', price: 596_000, timeInForce: 'GTC', qty: 10, reduceOnly: false,
      closePosition: false, clientOrderId: 'stop-limit',
    });
    const created = encoder.build(placed);
    assert.deepEqual(created.map(label), ['ALGO_UPDATE NEW']);
    const o = created[0]!.o as Json;
    assert.deepEqual(Object.keys(o), ['caid', 'aid', 'at', 'o', 's', 'S', 'ps', 'f', 'q', 'X', 'ai', 'tp', 'p', 'V', 'wt', 'pm', 'cp', 'pP', 'R', 'tt', 'gtd']);
    const engineId = (o.aid as number) - ALGO_ID_BASE;
    assert.deepEqual([o.caid, o.o, o.f, o.q, o.tp, o.p, o.ai, o.tt], ['stop-limit', 'STOP', 'GTC', '0.0010', '59500', '59600', '', 0]);

    // A trade at 59500 (account 2 sells to account 3's bid) fires it; its limit sell at 59600 rests.
    limit(3, 'BUY', 595_000);
    const fired = market(2, 'SELL');
    const atTrigger = encoder.build(fired);
    assert.deepEqual(atTrigger.map(label), ['ALGO_UPDATE TRIGGERING', 'ALGO_UPDATE TRIGGERED', 'ORDER_TRADE_UPDATE NEW']);
    const triggered = atTrigger[1]!.o as Json;
    assert.deepEqual([triggered.ai, triggered.ap, triggered.aq, triggered.act, triggered.tt === 0], [String(engineId), '0', '0', 'LIMIT', false]);
    const newOrder = atTrigger[2]!.o as Json;
    assert.deepEqual([newOrder.i, newOrder.c, newOrder.o, newOrder.ot, newOrder.sp, newOrder.p, newOrder.X], [engineId, 'stop-limit', 'LIMIT', 'STOP', '59500', '59600', 'NEW']);

    // Another command in between, then the placed order is cancelled: no conditional event in that
    // command, and the encoder builds FINISHED from the ended conditional History keeps.
    limit(2, 'SELL', 610_000);
    const canceled = run({ type: 'cancelOrder', accountId: 1, symbol: 'btc_usdt', orderId: engineId });
    const later = encoder.build(canceled);
    assert.deepEqual(later.map(label), ['ORDER_TRADE_UPDATE CANCELED', 'ALGO_UPDATE FINISHED']);
    const finished = later[1]!.o as Json;
    assert.deepEqual([finished.aid, finished.caid, finished.o, finished.tp, finished.ai, finished.aq, finished.act], [o.aid, 'stop-limit', 'STOP', '59500', String(engineId), '0', 'LIMIT']);
    assert.deepEqual(new BinanceEncoder(symbols, (accountId, id) => history.finishedConditional(accountId, id)).build(canceled), later, 'the same events encode the same');
    // Without the ended conditional (History has forgotten it) the order's own pushes still go out.
    assert.deepEqual(new BinanceEncoder(symbols).build(canceled).map(label), ['ORDER_TRADE_UPDATE CANCELED']);
  });
});
