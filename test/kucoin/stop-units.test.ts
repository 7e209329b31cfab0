/**
 * KuCoin stop orders without a server: the request parameters as engine commands (order-params.ts,
 * stop-params.ts) with their refusals, the `/contractMarket/advancedOrders` stopOrder push for every
 * conditional change, and the REST order object of a stop order and of the order it placed.
 * BTC_USDT is XBTUSDTM here (tick 0.1: 61,000 is 610,000 ticks).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConditionalEvent, ConditionalSnapshot, PositionSnapshot } from '../../src/engine/types.js';
import type { AccountView } from '../../src/engine/view.js';
import { KucoinEncoder } from '../../src/dialects/kucoin/encode.js';
import { restOrder } from '../../src/dialects/kucoin/encode-order.js';
import { restStopOrder, stopFields, triggerError } from '../../src/dialects/kucoin/encode-stop.js';
import { KucoinError } from '../../src/dialects/kucoin/envelope.js';
import { placeCommand } from '../../src/dialects/kucoin/order-params.js';
import { BTC_CONFIG, order, parse, position, SYMBOLS, T0 } from './events.js';

function view(overrides: Partial<AccountView> = {}, positions: PositionSnapshot[] = []): AccountView {
  return {
    accountId: 42, positionMode: 'ONE_WAY', feeBurn: false, wallets: [],
    settings: [{ symbol: 'btc_usdt', leverage: 20, marginMode: 'ISOLATED', riskLimitLevel: 1 }, { symbol: 'eth_usdt', leverage: 5, marginMode: 'ISOLATED', riskLimitLevel: 1 }],
    positions, orders: [], conditionals: [], ...overrides,
  };
}

const base = { clientOid: 'c-1', symbol: 'XBTUSDTM', side: 'buy', size: 3, leverage: 1 };

function refused(run: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof KucoinError, `a KucoinError, not ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

function conditional(overrides: Partial<ConditionalSnapshot> = {}): ConditionalSnapshot {
  return {
    conditionalId: 77, clientOrderId: 'stop-1', accountId: 42, symbol: 'btc_usdt', kind: 'PLAN', side: 'BUY', positionSide: 'BOTH',
    triggerSource: 'MARK', triggerDirection: 'RISE', triggerPrice: 610_000, orderType: 'LIMIT', price: 611_000, timeInForce: 'GTC', qty: 3,
    reduceOnly: false, closePosition: false, tpslMode: null, ocoId: null, pairId: 77, marginMode: 'CROSSED', attachTpsl: null, activationPrice: null, callbackRate: null, callbackAmount: null,
    activated: false, extremePrice: null, stpMode: 'EXPIRE_TAKER', expireTime: null, state: 'WAITING', reason: 'NONE', orderId: null,
    triggeredPrice: null, createTime: 1_717_724_600_000, updateTime: 1_717_724_600_000, ...overrides,
  };
}

function conditionalEvent(c: ConditionalSnapshot, change: ConditionalEvent['change']): ConditionalEvent {
  return { type: 'conditional', accountId: 42, seq: 9, cmdSeq: 100, time: T0, reason: 'ORDER', change, conditional: c };
}

describe('KuCoin stop parameters → engine commands', () => {
  it('stop up / down with stopPrice and stopPriceType TP / MP / IP: a PLAN conditional placing the order', () => {
    const command = placeCommand(SYMBOLS, view(), { ...base, type: 'limit', price: '61100', stop: 'up', stopPrice: '61000', stopPriceType: 'MP' });
    assert.deepEqual(command, {
      accountId: 42, symbol: 'btc_usdt', side: 'BUY', positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC', price: 611_000, qty: 3,
      reduceOnly: false, clientOrderId: 'c-1', stpMode: undefined,
      type: 'placeConditional', kind: 'PLAN', triggerPrice: 610_000, triggerDirection: 'RISE', triggerSource: 'MARK', closePosition: false,
      triggerIfHolding: true,
    });
    const down = placeCommand(SYMBOLS, view(), { ...base, side: 'sell', type: 'market', stop: 'down', stopPrice: 59000, stopPriceType: 'TP', reduceOnly: true });
    assert.equal(down.type, 'placeConditional');
    assert.deepEqual([down.side, down.orderType, down.timeInForce, down.reduceOnly, 'triggerDirection' in down && down.triggerDirection, 'triggerSource' in down && down.triggerSource],
      ['SELL', 'MARKET', 'IOC', true, 'FALL', 'LAST']);
    const index = placeCommand(SYMBOLS, view(), { ...base, type: 'market', stop: 'up', stopPrice: '61000', stopPriceType: 'IP' });
    assert.equal('triggerSource' in index && index.triggerSource, 'INDEX');
  });

  it('a stop closeOrder closes the whole position at trigger (qty 0, closePosition), on the closing side', () => {
    const long = position({ qty: 4, marginMode: 'ISOLATED' });
    const command = placeCommand(SYMBOLS, view({}, [long]), { clientOid: 'c-2', symbol: 'XBTUSDTM', closeOrder: true, stop: 'down', stopPrice: '59000', stopPriceType: 'MP' });
    assert.equal(command.type, 'placeConditional');
    assert.deepEqual([command.side, command.orderType, command.qty, command.reduceOnly, 'closePosition' in command && command.closePosition], ['SELL', 'MARKET', 0, false, true]);
    refused(() => placeCommand(SYMBOLS, view(), { clientOid: 'c-2', symbol: 'XBTUSDTM', closeOrder: true, stop: 'down', stopPrice: '59000', stopPriceType: 'MP' }),
      '300009', /No open positions to close/);
  });

  it('hedge mode: positionSide LONG / SHORT as for any order', () => {
    const command = placeCommand(SYMBOLS, view({ positionMode: 'HEDGE' }), { ...base, type: 'market', positionSide: 'LONG', stop: 'up', stopPrice: '61000', stopPriceType: 'TP' });
    assert.deepEqual([command.type, command.positionSide, command.reduceOnly], ['placeConditional', 'LONG', false]);
    refused(() => placeCommand(SYMBOLS, view({ positionMode: 'HEDGE' }), { ...base, type: 'market', stop: 'up', stopPrice: '61000', stopPriceType: 'TP' }), '330012', /Hedge Mode/);
  });

  it('refusals: stop without stopPrice or stopPriceType, either without stop, a stop KuCoin does not have, a price off the tick', () => {
    const limit = { ...base, type: 'limit', price: '61000' };
    refused(() => placeCommand(SYMBOLS, view(), { ...limit, stop: 'up', stopPriceType: 'TP' }), '400100', /stopPrice is required with stop up/);
    refused(() => placeCommand(SYMBOLS, view(), { ...limit, stop: 'up', stopPrice: '61000' }), '400100', /stopPriceType is required with stop up: TP \(last trade price\), MP \(mark price\) or IP \(index price\)/);
    refused(() => placeCommand(SYMBOLS, view(), { ...limit, stopPrice: '61000', stopPriceType: 'TP' }), '400100', /stopPrice is only for stop orders/);
    refused(() => placeCommand(SYMBOLS, view(), { ...limit, stopPriceType: 'TP' }), '400100', /stopPriceType is only for stop orders/);
    refused(() => placeCommand(SYMBOLS, view(), { ...limit, stop: 'loss', stopPrice: '61000', stopPriceType: 'TP' }), '400100', /stop must be one of up, down \(got loss\)/);
    refused(() => placeCommand(SYMBOLS, view(), { ...limit, stop: 'up', stopPrice: '61000', stopPriceType: 'LP' }), '400100', /stopPriceType must be one of TP, MP, IP/);
    refused(() => placeCommand(SYMBOLS, view(), { ...limit, stop: 'up', stopPrice: '61000.05', stopPriceType: 'TP' }), '300000', /stopPrice/);
  });

  it('KuCoin futures has no trailing stop: trailing parameters are refused, not dropped', () => {
    for (const name of ['trailingPercent', 'trailingAmount', 'callbackRate', 'activationPrice']) {
      refused(() => placeCommand(SYMBOLS, view(), { ...base, type: 'market', [name]: '1' }), '400100', new RegExp(`${name}: KuCoin futures has no trailing stop orders`));
      refused(() => placeCommand(SYMBOLS, view(), { ...base, type: 'market', [name]: '1' }, 'st-orders'), '400100', /no trailing stop/);
    }
  });

  it('st-orders: triggerStopUpPrice is the take-profit, triggerStopDownPrice the stop-loss, armed on the fill (PARTIAL), market at trigger', () => {
    const command = placeCommand(SYMBOLS, view(), { ...base, type: 'limit', price: '60000', triggerStopUpPrice: '63000', triggerStopDownPrice: '58000', stopPriceType: 'MP' }, 'st-orders');
    assert.equal(command.type, 'placeOrder');
    assert.deepEqual('attachTpsl' in command && command.attachTpsl, {
      mode: 'PARTIAL',
      takeProfit: { triggerPrice: 630_000, triggerSource: 'MARK', orderType: 'MARKET' },
      stopLoss: { triggerPrice: 580_000, triggerSource: 'MARK', orderType: 'MARKET' },
    });
    // KuCoin's own example sends stopPriceType "": the last trade price.
    const one = placeCommand(SYMBOLS, view(), { ...base, type: 'market', triggerStopDownPrice: '58000', stopPriceType: '' }, 'st-orders');
    assert.deepEqual('attachTpsl' in one && one.attachTpsl, { mode: 'PARTIAL', takeProfit: undefined, stopLoss: { triggerPrice: 580_000, triggerSource: 'LAST', orderType: 'MARKET' } });
    // Neither price: the same order as POST /api/v1/orders ("other functions are exactly the same").
    const plain = placeCommand(SYMBOLS, view(), { ...base, type: 'market' }, 'st-orders');
    assert.deepEqual(plain, placeCommand(SYMBOLS, view(), { ...base, type: 'market' }));
  });

  it('st-orders refusals: stop parameters, reduceOnly / closeOrder with a TP/SL, stopPriceType alone; orders refuses the st-orders prices', () => {
    refused(() => placeCommand(SYMBOLS, view(), { ...base, type: 'market', stop: 'up', stopPrice: '61000', stopPriceType: 'TP' }, 'st-orders'), '400100', /stop: st-orders places an order/);
    refused(() => placeCommand(SYMBOLS, view(), { ...base, side: 'sell', type: 'market', reduceOnly: true, triggerStopDownPrice: '58000' }, 'st-orders'), '400100', /reduceOnly only reduces it/);
    refused(() => placeCommand(SYMBOLS, view({}, [position({ qty: 2, marginMode: 'ISOLATED' })]), { clientOid: 'c', symbol: 'XBTUSDTM', closeOrder: true, triggerStopDownPrice: '58000' }, 'st-orders'),
      '400100', /closeOrder only reduces it/);
    refused(() => placeCommand(SYMBOLS, view(), { ...base, type: 'market', stopPriceType: 'MP' }, 'st-orders'), '400100', /send at least one of them/);
    refused(() => placeCommand(SYMBOLS, view(), { ...base, type: 'market', triggerStopUpPrice: '63000' }), '400100', /triggerStopUpPrice is a parameter of POST \/api\/v1\/st-orders/);
  });
});

describe('KuCoin /contractMarket/advancedOrders (stopOrder)', () => {
  const encoder = new KucoinEncoder(SYMBOLS);
  const frameOf = (c: ConditionalSnapshot, change: ConditionalEvent['change']) => {
    const frames = encoder.encode(conditionalEvent(c, change));
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.key, 'stopOrders');
    return parse(frames[0]!.text);
  };

  it('open: every documented field in KuCoin\'s order, size a number, orderPrice the limit price, ts in ns', () => {
    const frame = frameOf(conditional(), 'NEW');
    assert.deepEqual(Object.keys(frame), ['type', 'topic', 'subject', 'userId', 'channelType', 'data', 'seq']);
    assert.deepEqual([frame.type, frame.topic, frame.subject, frame.channelType, frame.seq], ['message', '/contractMarket/advancedOrders', 'stopOrder', 'private', 9]);
    assert.deepEqual(frame.data, {
      orderId: '77', symbol: 'XBTUSDTM', type: 'open', orderType: 'stop', side: 'buy', size: 3, orderPrice: '61100',
      stop: 'up', stopPrice: '61000', stopPriceType: 'MP', marginMode: 'CROSS', createdAt: 1_717_724_600_000, ts: 1_717_724_618_516_250_000,
    });
    assert.match(encoder.encode(conditionalEvent(conditional(), 'NEW'))[0]!.text, /"ts":1717724618516250000\}/);
  });

  it('triggered: triggerSuccess true; refused at trigger: triggerSuccess false with KuCoin\'s error (accountBalanceInsufficient for margin)', () => {
    const fired = frameOf(conditional({ state: 'TRIGGERED', orderId: 77, triggeredPrice: 610_000 }), 'TRIGGERED');
    assert.deepEqual([fired.data.type, fired.data.triggerSuccess, 'error' in fired.data], ['triggered', true, false]);
    const rejected = frameOf(conditional({ state: 'REJECTED', reason: 'INSUFFICIENT_MARGIN', orderId: 77 }), 'REJECTED');
    assert.deepEqual([rejected.data.type, rejected.data.triggerSuccess, rejected.data.error], ['triggered', false, 'error.createOrder.accountBalanceInsufficient']);
    assert.equal(triggerError('REDUCE_ONLY_WOULD_INCREASE'), 'error.createOrder.reduceOnlyWouldIncrease');
    assert.equal(triggerError('ORDER_REFUSED'), 'error.createOrder.orderRefused');
  });

  it('cancelled or expired: cancel; a market stop shows orderPrice null and stop down, stopPriceType TP / IP', () => {
    const cancelled = frameOf(conditional({ state: 'CANCELED', reason: 'USER_CANCELED', orderType: 'MARKET', price: 0, triggerDirection: 'FALL', triggerSource: 'LAST' }), 'CANCELED');
    assert.deepEqual([cancelled.data.type, cancelled.data.orderPrice, cancelled.data.stop, cancelled.data.stopPriceType, 'triggerSuccess' in cancelled.data], ['cancel', null, 'down', 'TP', false]);
    const expired = frameOf(conditional({ state: 'EXPIRED', reason: 'EXPIRED', triggerSource: 'INDEX' }), 'EXPIRED');
    assert.deepEqual([expired.data.type, expired.data.stopPriceType], ['cancel', 'IP']);
  });

  it('an amendment (a TP/SL leg shrunk with its position) has no KuCoin message', () => {
    assert.deepEqual(encoder.encode(conditionalEvent(conditional({ kind: 'STOP_LOSS', qty: 2 }), 'AMENDED')), []);
  });
});

describe('KuCoin REST order objects of stop orders', () => {
  const settings = { leverage: 20, marginMode: 'ISOLATED' as const };

  it('an untriggered stop order: status open, isActive, stop fields, stopTriggered false, nothing dealt', () => {
    const o = restStopOrder(conditional(), BTC_CONFIG, 'XBTUSDTM', settings);
    assert.deepEqual([o.id, o.type, o.side, o.price, o.size, o.stop, o.stopPriceType, o.stopTriggered, o.stopPrice, o.status, o.isActive, o.cancelExist, o.endAt, o.clientOid, o.leverage, o.marginMode, o.reduceOnly, o.closeOrder],
      ['77', 'limit', 'buy', '61100', 3, 'up', 'MP', false, '61000', 'open', true, false, null, 'stop-1', '20', 'ISOLATED', false, false]);
    // value: 3 lots × 61,100 × 0.0001 BTC a lot.
    assert.deepEqual([o.value, o.dealValue, o.dealSize, o.filledSize, o.filledValue, o.avgDealPrice], ['18.33', '0', 0, 0, '0', '0']);
  });

  it('a cancelled one: done, cancelExist; one refused at trigger: stopTriggered true, done', () => {
    const cancelled = restStopOrder(conditional({ state: 'CANCELED', reason: 'USER_CANCELED', updateTime: T0 }), BTC_CONFIG, 'XBTUSDTM', settings);
    assert.deepEqual([cancelled.status, cancelled.isActive, cancelled.cancelExist, cancelled.endAt, cancelled.stopTriggered], ['done', false, true, T0, false]);
    const rejected = restStopOrder(conditional({ state: 'REJECTED', reason: 'INSUFFICIENT_MARGIN' }), BTC_CONFIG, 'XBTUSDTM', settings);
    assert.deepEqual([rejected.status, rejected.cancelExist, rejected.stopTriggered], ['done', true, true]);
  });

  it('the order a stop order placed carries its stop fields with stopTriggered true; a closeOrder stop says closeOrder', () => {
    const fired = conditional({ state: 'TRIGGERED', orderId: 77, closePosition: true, qty: 0, reduceOnly: true });
    const placed = restOrder(order({ orderId: 77, origin: 'PLAN', conditionalId: 77 }), BTC_CONFIG, 'XBTUSDTM', stopFields(fired, BTC_CONFIG));
    assert.deepEqual([placed.stop, placed.stopPriceType, placed.stopTriggered, placed.stopPrice, placed.closeOrder], ['up', 'MP', true, '61000', true]);
    const plain = restOrder(order(), BTC_CONFIG, 'XBTUSDTM');
    assert.deepEqual([plain.stop, plain.stopPriceType, plain.stopTriggered, plain.stopPrice, plain.closeOrder], ['', '', false, null, false]);
  });
});
