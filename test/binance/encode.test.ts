/**
 * The Binance encoder over canonical events, including those the risk engine will produce
 * (liquidation and ADL orders, MARGIN_CALL from a WARN notice, FUNDING_FEE's short form, the
 * insurance clearance), built from real engine events and then given the risk fields.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_SYMBOLS } from '../../src/engine/demo-symbols.js';
import { Engine } from '../../src/engine/engine.js';
import type {
  BalanceEvent, Command, EngineEvent, NoticeEvent, OrderEvent, PositionEvent, TradeEvent,
} from '../../src/engine/types.js';
import { BinanceEncoder, expiryReason, orderStatus } from '../../src/dialects/binance/encode.js';
import { BinanceSymbols } from '../../src/dialects/binance/symbols.js';

type Json = Record<string, unknown>;
type Cmd = Command extends infer C ? (C extends Command ? Omit<C, 'time'> : never) : never;

const symbols = new BinanceSymbols(new Engine({ symbols: DEMO_SYMBOLS }).symbols());
const encoder = new BinanceEncoder(symbols);

/** A small engine session: account 1 (one-way) buys 0.01 BTC from account 2 at 60000. */
function session(mode: 'ONE_WAY' | 'HEDGE' = 'ONE_WAY') {
  const engine = new Engine({ symbols: DEMO_SYMBOLS, defaultPositionMode: mode });
  let time = 1_700_000_000_000;
  const run = (cmd: Cmd) => engine.apply({ ...cmd, time: ++time } as Command);
  run({ type: 'createAccount' });
  run({ type: 'createAccount' });
  for (const accountId of [1, 2]) run({ type: 'deposit', accountId, asset: 'USDT', amount: 1_000_000_000_000n });
  run({ type: 'setMarkPrice', symbol: 'btc_usdt', price: 600_000 });
  const side = mode === 'HEDGE' ? { buy: 'LONG', sell: 'SHORT' } as const : { buy: 'BOTH', sell: 'BOTH' } as const;
  run({ type: 'placeOrder', accountId: 2, symbol: 'btc_usdt', side: 'SELL', positionSide: side.sell, orderType: 'LIMIT', timeInForce: 'GTC', price: 600_000, qty: 100, reduceOnly: false });
  const fill = run({ type: 'placeOrder', accountId: 1, symbol: 'btc_usdt', side: 'BUY', positionSide: side.buy, orderType: 'MARKET', timeInForce: 'IOC', price: 0, qty: 100, reduceOnly: false });
  return { engine, run, fill: fill.events.filter((e) => e.accountId === 1) };
}

const encode = (events: readonly EngineEvent[]): Json[] => encoder.build(events);
const only = <T extends EngineEvent['type']>(events: readonly EngineEvent[], type: T) => events.filter((e) => e.type === type) as Extract<EngineEvent, { type: T }>[];

describe('Binance encoder', () => {
  it('a fill: TRADE_LITE, ORDER_TRADE_UPDATE NEW and TRADE with every §2.2 field, then one ACCOUNT_UPDATE (ORDER)', () => {
    const { fill } = session();
    const out = encode(fill);
    assert.deepEqual(out.map((e) => e.e), ['ORDER_TRADE_UPDATE', 'TRADE_LITE', 'ORDER_TRADE_UPDATE', 'ACCOUNT_UPDATE']);
    const trade = only(fill, 'trade')[0]!;
    const o = out[2]!.o as Json;
    assert.deepEqual(Object.keys(o), ['s', 'c', 'S', 'o', 'f', 'q', 'p', 'ap', 'sp', 'x', 'X', 'i', 'l', 'z', 'L', 'N', 'n', 'T', 't', 'b', 'a', 'm', 'R', 'wt', 'ot', 'ps', 'cp', 'pP', 'si', 'ss', 'rp', 'V', 'pm', 'gtd', 'er']);
    assert.deepEqual(o, {
      s: 'BTCUSDT', c: `perpstream-${trade.orderId}`, S: 'BUY', o: 'MARKET', f: 'IOC', q: '0.0100', p: '0', ap: '60000.00000', sp: '0', x: 'TRADE',
      X: 'FILLED', i: trade.orderId, l: '0.0100', z: '0.0100', L: '60000', N: 'USDT', n: '0.36', T: trade.time, t: trade.tradeId, b: '0', a: '0',
      m: false, R: false, wt: 'CONTRACT_PRICE', ot: 'MARKET', ps: 'BOTH', cp: false, pP: false, si: 0, ss: 0, rp: '0', V: 'EXPIRE_TAKER',
      pm: 'NONE', gtd: 0, er: '0',
    });
    const lite = out[1]!;
    assert.deepEqual(lite, {
      e: 'TRADE_LITE', E: trade.time, T: trade.time, s: 'BTCUSDT', q: '0.0100', p: '0', m: false, c: `perpstream-${trade.orderId}`, S: 'BUY',
      L: '60000', l: '0.0100', t: trade.tradeId, i: trade.orderId,
    });
    const newOrder = out[0]!.o as Json;
    assert.deepEqual([newOrder.x, newOrder.X, newOrder.l, newOrder.L, newOrder.t, 'N' in newOrder, 'n' in newOrder], ['NEW', 'NEW', '0', '0', 0, false, false]);
    const update = out[3]! as { a: { m: string; B: Json[]; P: Json[] } };
    assert.equal(update.a.m, 'ORDER');
    assert.deepEqual(update.a.B, [{ a: 'USDT', wb: '9999.64000000', cw: '9999.64000000', bc: '0' }]);
    assert.deepEqual(update.a.P, [{ s: 'BTCUSDT', pa: '0.0100', ep: '60000.00000', bep: '60036.00000', cr: '0', up: '0', mt: 'cross', iw: '0', ps: 'BOTH', ma: 'USDT' }]);
  });

  it('is stateless: the same events encode to the same frames (replay equals live), memoized per command', () => {
    const { fill } = session();
    const copy = JSON.parse(JSON.stringify(fill, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)), (_k, v: unknown) => (typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v)) as EngineEvent[];
    assert.deepEqual(encoder.encode(copy), encoder.encode(fill));
    assert.equal(encoder.encode(fill), encoder.encode(fill));
  });

  it('an order placed or cancelled without a fill pushes no ACCOUNT_UPDATE; a refused placement pushes nothing', () => {
    const { run } = session();
    const placed = run({ type: 'placeOrder', accountId: 1, symbol: 'btc_usdt', side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 590_000, qty: 10, reduceOnly: false });
    assert.deepEqual(encode(placed.events).map((e) => e.e), ['ORDER_TRADE_UPDATE']);
    const orderId = (placed.result as { order: { orderId: number } }).order.orderId;
    const canceled = run({ type: 'cancelOrder', accountId: 1, symbol: 'btc_usdt', orderId });
    const out = encode(canceled.events);
    assert.deepEqual(out.map((e) => [e.e, (e.o as Json).x, (e.o as Json).X]), [['ORDER_TRADE_UPDATE', 'CANCELED', 'CANCELED']]);
    const refused = run({ type: 'placeOrder', accountId: 1, symbol: 'btc_usdt', side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 590_000, qty: 1_000_000, reduceOnly: false });
    assert.equal(only(refused.events, 'order')[0]!.execType, 'REJECTED');
    assert.equal(refused.events.length, 1);
    assert.deepEqual(encode(refused.events), []);
  });

  it('amendment and expiry: x AMENDMENT; IOC remainder expires with er 2, STP with EXPIRED_IN_MATCH', () => {
    const { run } = session();
    const placed = run({ type: 'placeOrder', accountId: 1, symbol: 'btc_usdt', side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 590_000, qty: 10, reduceOnly: false });
    const orderId = (placed.result as { order: { orderId: number } }).order.orderId;
    const amended = run({ type: 'amendOrder', accountId: 1, symbol: 'btc_usdt', orderId, price: 591_000 });
    const o = encode(amended.events)[0]!.o as Json;
    assert.deepEqual([o.x, o.X, o.p], ['AMENDMENT', 'NEW', '59100']);
    run({ type: 'placeOrder', accountId: 2, symbol: 'btc_usdt', side: 'SELL', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 600_000, qty: 5, reduceOnly: false });
    const ioc = run({ type: 'placeOrder', accountId: 1, symbol: 'btc_usdt', side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'IOC', price: 600_000, qty: 8, reduceOnly: false });
    const frames = encode(ioc.events.filter((e) => e.accountId === 1)).filter((e) => e.e === 'ORDER_TRADE_UPDATE').map((e) => e.o as Json);
    assert.deepEqual(frames.map((f) => [f.x, f.X, f.er, f.z]), [['NEW', 'NEW', '0', '0'], ['TRADE', 'PARTIALLY_FILLED', '0', '0.0005'], ['EXPIRED', 'EXPIRED', '2', '0.0005']]);
    const order = only(ioc.events, 'order').at(-1)!.order;
    assert.equal(orderStatus({ ...order, reason: 'SELF_TRADE_PREVENTION' }), 'EXPIRED_IN_MATCH');
    assert.equal(expiryReason({ ...order, reason: 'SELF_TRADE_PREVENTION' }), '3');
    assert.equal(expiryReason({ ...order, reason: 'MARKET_REMAINDER' }), '9');
    assert.equal(expiryReason({ ...order, reason: 'REDUCE_ONLY_WOULD_INCREASE' }), '4');
  });

  it('leverage: ACCOUNT_CONFIG_UPDATE ac {s, l} and no ACCOUNT_UPDATE; position mode: nothing', () => {
    const { run } = session();
    const changed = run({ type: 'setLeverage', accountId: 1, symbol: 'btc_usdt', leverage: 10 });
    const out = encode(changed.events);
    assert.deepEqual(out, [{ e: 'ACCOUNT_CONFIG_UPDATE', E: changed.events[0]!.time, T: changed.events[0]!.time, ac: { s: 'BTCUSDT', l: 10 } }]);
    const engine = new Engine({ symbols: DEMO_SYMBOLS });
    engine.apply({ type: 'createAccount', time: 1 });
    assert.deepEqual(encode(engine.apply({ type: 'setPositionMode', accountId: 1, positionMode: 'HEDGE', time: 2 }).events), []);
  });

  it('hedge mode: a LONG fill pushes a zero BOTH entry (no BOTH record), then LONG; the unused SHORT is absent', () => {
    const { fill } = session('HEDGE');
    const update = encode(fill).at(-1)! as { a: { P: Json[] } };
    assert.deepEqual(update.a.P.map((p) => [p.ps, p.pa, p.ep, p.cr]), [['BOTH', '0', '0.00000', '0'], ['LONG', '0.0100', '60000.00000', '0']]);
  });

  it('liquidation and ADL orders: c autoclose-<id> / adl_autoclose, o LIQUIDATION, x CALCULATED, no TRADE_LITE; m ORDER', () => {
    const { fill } = session();
    const liquidation = fill.map((e) => withSource(e, 'LIQUIDATION'));
    const out = encode(liquidation);
    assert.deepEqual(out.map((e) => e.e), ['ORDER_TRADE_UPDATE', 'ORDER_TRADE_UPDATE', 'ACCOUNT_UPDATE']);
    const [created, executed] = out.map((e) => e.o as Json);
    const orderId = only(fill, 'trade')[0]!.orderId;
    assert.deepEqual([created!.c, created!.o, created!.ot, created!.x, created!.X], [`autoclose-${orderId}`, 'LIQUIDATION', 'LIQUIDATION', 'NEW', 'NEW']);
    assert.deepEqual([executed!.c, executed!.o, executed!.x, executed!.X], [`autoclose-${orderId}`, 'LIQUIDATION', 'CALCULATED', 'FILLED']);
    assert.equal((out[2]! as { a: { m: string } }).a.m, 'ORDER');
    const adl = encode(fill.map((e) => withSource(e, 'ADL')));
    assert.deepEqual(adl.filter((e) => e.e === 'ORDER_TRADE_UPDATE').map((e) => [(e.o as Json).c, (e.o as Json).x]), [['adl_autoclose', 'NEW'], ['adl_autoclose', 'CALCULATED']]);
    assert.equal((adl.at(-1)! as { a: { m: string } }).a.m, 'ORDER');
  });

  it('the insurance clearance (LIQUIDATION without a fill) is INSURANCE_CLEAR', () => {
    const { fill } = session();
    const balance = only(fill, 'balance').at(-1)!;
    const out = encode([{ ...balance, reason: 'LIQUIDATION', walletChange: -5n }]);
    assert.deepEqual(out, [{ e: 'ACCOUNT_UPDATE', E: balance.time, T: balance.time, a: { m: 'INSURANCE_CLEAR', B: [{ a: 'USDT', wb: '9999.64000000', cw: '9999.64000000', bc: '-0.00000005' }], P: [] } }]);
  });

  it('FUNDING_FEE short form: cross positions add no P; an isolated one is pushed alone, without BOTH', () => {
    const { fill } = session('HEDGE');
    const balance: BalanceEvent = { ...only(fill, 'balance')[0]!, reason: 'FUNDING_FEE', walletChange: -1_000n };
    const position: PositionEvent = { ...only(fill, 'position').at(-1)!, reason: 'FUNDING_FEE' };
    const funding = { type: 'funding', accountId: 1, seq: 99, cmdSeq: balance.cmdSeq, time: balance.time, reason: 'FUNDING_FEE', symbol: 'btc_usdt', positionSide: 'LONG', fundingTime: balance.time, qty: 100, markPrice: 600_000, fundingRate: 10_000n, fundingFee: -1_000n } as const;
    const cross = encode([funding, position, balance]).at(-1)! as { a: { m: string; B: Json[]; P: Json[] } };
    assert.deepEqual([cross.a.m, cross.a.B.map((b) => b.a), cross.a.P], ['FUNDING_FEE', ['USDT'], []]);
    const isolatedPosition: PositionEvent = { ...position, position: { ...position.position, marginMode: 'ISOLATED', margin: 30_000_000n } };
    const isolated = encode([funding, isolatedPosition, balance]).at(-1)! as { a: { P: Json[] } };
    assert.deepEqual(isolated.a.P.map((p) => [p.ps, p.mt, p.iw]), [['LONG', 'isolated', '0.30000000']]);
  });

  it('MARGIN_CALL from a WARN notice (cw only for cross); other notices push nothing of their own', () => {
    const { fill } = session();
    const position = only(fill, 'position').at(-1)!.position;
    const base = { accountId: 1, seq: 50, cmdSeq: 9, time: 1_700_000_000_500, reason: 'MARK_PRICE' as const, type: 'notice' as const, marginRatio: 90_000_000n, crossWalletBalance: 999_964_000_000n, direction: 'LONG' as const, qty: 1 };
    const warn: NoticeEvent = { ...base, notice: 'WARN', position: { ...position, markPrice: 540_000, unrealizedPnl: -6_000_000_000n, maintenanceMargin: 2_400_000_000n } };
    assert.deepEqual(encode([warn]), [{
      e: 'MARGIN_CALL', E: base.time, cw: '9999.64000000',
      p: [{ s: 'BTCUSDT', ps: 'BOTH', pa: '0.0100', mt: 'cross', iw: '0', mp: '54000', up: '-60.00000', mm: '24.00000000' }],
    }]);
    const isolated = encode([{ ...warn, position: { ...warn.position, marginMode: 'ISOLATED', margin: 3_000_000_000n } }])[0]!;
    assert.equal('cw' in isolated, false);
    assert.deepEqual((isolated.p as Json[])[0]!.iw, '30.00000000');
    for (const notice of ['PARTIAL', 'LIQUIDATION', 'ADL'] as const) assert.deepEqual(encode([{ ...warn, notice }]), []);
  });

  it('m reason codes: DEPOSIT, WITHDRAW, MARGIN_TRANSFER, MARGIN_TYPE_CHANGE, and the risk helpers\' AUTO_DEPOSIT', () => {
    const { run } = session();
    assert.equal(reasonOf(encode(run({ type: 'deposit', accountId: 1, asset: 'USDT', amount: 1n }).events)), 'DEPOSIT');
    assert.equal(reasonOf(encode(run({ type: 'withdraw', accountId: 1, asset: 'USDT', amount: 1n }).events)), 'WITHDRAW');
    const flat = session();
    flat.run({ type: 'placeOrder', accountId: 2, symbol: 'btc_usdt', side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 600_000, qty: 100, reduceOnly: false });
    flat.run({ type: 'placeOrder', accountId: 1, symbol: 'btc_usdt', side: 'SELL', positionSide: 'BOTH', orderType: 'MARKET', timeInForce: 'IOC', price: 0, qty: 100, reduceOnly: false });
    const typed = flat.run({ type: 'setMarginMode', accountId: 1, symbol: 'btc_usdt', marginMode: 'ISOLATED' });
    const marginType = encode(typed.events).at(-1)! as { a: { m: string; B: Json[]; P: Json[] } };
    assert.deepEqual([marginType.a.m, marginType.a.B.map((b) => b.a), marginType.a.P.map((p) => [p.ps, p.mt])], ['MARGIN_TYPE_CHANGE', ['USDT'], [['BOTH', 'isolated']]]);
    const reopened = flat.run({ type: 'placeOrder', accountId: 2, symbol: 'btc_usdt', side: 'SELL', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 600_000, qty: 100, reduceOnly: false });
    void reopened;
    flat.run({ type: 'placeOrder', accountId: 1, symbol: 'btc_usdt', side: 'BUY', positionSide: 'BOTH', orderType: 'MARKET', timeInForce: 'IOC', price: 0, qty: 100, reduceOnly: false });
    const transfer = flat.run({ type: 'adjustIsolatedMargin', accountId: 1, symbol: 'btc_usdt', positionSide: 'BOTH', amount: 100_000_000n });
    assert.equal(reasonOf(encode(transfer.events)), 'MARGIN_TRANSFER');
    assert.equal(reasonOf(encode(transfer.events.map((e) => ({ ...e, reason: 'AUTO_DEPOSIT' as const })))), 'MARGIN_TRANSFER');
  });
});

function reasonOf(out: Json[]): string {
  return ((out.at(-1) as { a: { m: string } }).a).m;
}

/** The event as the risk engine's order of `source` would have produced it. */
function withSource(event: EngineEvent, source: 'LIQUIDATION' | 'ADL'): EngineEvent {
  if (event.type === 'order') return { ...event, reason: source, order: { ...event.order, source } } satisfies OrderEvent;
  if (event.type === 'trade') return { ...event, reason: source, source } satisfies TradeEvent;
  return { ...event, reason: source };
}
