/**
 * The REST endpoints fuzzed, per dialect: placing, cancelling and reading an order, and setting the
 * leverage — the requests that carry the most parameters and the ones that change state. Each has a
 * valid base request for the dialect's fuzz account (the control test checks that it is accepted)
 * and the kinds of its parameters.
 */
import type { Dialect } from '../support/xt-client.js';
import type { Endpoint, Field } from './cases.js';
import type { FuzzWorld } from './world.js';

const field = (name: string, kind: Field['kind'], required = true): Field => ({ name, kind, required });

/** A resting order of the dialect's account (the world placed a bid and an ask for each). */
function restingOrderId(world: FuzzWorld, dialect: Dialect): string {
  const { accountId } = world.accounts[dialect];
  const order = world.server.exchange.engine.account(accountId)!.view.orders.find((o) => o.side === 'BUY');
  if (order === undefined) throw new Error(`the ${dialect} fuzz account has no resting bid`);
  return String(order.orderId);
}

/** The endpoints; their bases read the world (`world()`) when a case is made. */
export function endpointsOf(world: () => FuzzWorld): Endpoint[] {
  const resting = (dialect: Dialect) => restingOrderId(world(), dialect);
  let clientIds = 0;
  return [
    // --- XT (hedge mode, JSON bodies)
    {
      name: 'xt POST /future/trade/v1/order/create', dialect: 'xt', method: 'POST', path: '/future/trade/v1/order/create', carrier: 'json', mutating: true,
      base: () => ({ symbol: 'btc_usdt', orderSide: 'BUY', orderType: 'LIMIT', origQty: '1', price: '59500', positionSide: 'LONG', timeInForce: 'GTC' }),
      fields: [field('symbol', 'symbol'), field('orderSide', 'enum'), field('orderType', 'enum'), field('origQty', 'qty'), field('price', 'price'),
        field('positionSide', 'enum'), field('timeInForce', 'enum', false), field('clientOrderId', 'clientId', false)],
    },
    {
      name: 'xt POST /future/trade/v1/order/cancel', dialect: 'xt', method: 'POST', path: '/future/trade/v1/order/cancel', carrier: 'json', mutating: true,
      base: () => ({ orderId: resting('xt') }),
      fields: [field('orderId', 'id')],
    },
    {
      name: 'xt POST /future/user/v1/position/adjust-leverage', dialect: 'xt', method: 'POST', path: '/future/user/v1/position/adjust-leverage', carrier: 'json', mutating: true,
      base: () => ({ symbol: 'btc_usdt', positionSide: 'LONG', leverage: '7' }),
      fields: [field('symbol', 'symbol'), field('positionSide', 'enum'), field('leverage', 'leverage')],
    },
    {
      name: 'xt GET /future/trade/v1/order/detail', dialect: 'xt', method: 'GET', path: '/future/trade/v1/order/detail', carrier: 'query', mutating: false,
      base: () => ({ orderId: resting('xt') }),
      fields: [field('orderId', 'id')],
    },
    // --- Binance (one-way, form bodies, query strings)
    {
      name: 'binance POST /fapi/v1/order', dialect: 'binance', method: 'POST', path: '/fapi/v1/order', carrier: 'form', mutating: true,
      base: () => ({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '59500' }),
      fields: [field('symbol', 'symbol'), field('side', 'enum'), field('type', 'enum'), field('timeInForce', 'enum'), field('quantity', 'qty'), field('price', 'price'),
        field('newClientOrderId', 'clientId', false), field('reduceOnly', 'flag', false), field('positionSide', 'enum', false)],
    },
    {
      name: 'binance DELETE /fapi/v1/order', dialect: 'binance', method: 'DELETE', path: '/fapi/v1/order', carrier: 'query', mutating: true,
      base: () => ({ symbol: 'BTCUSDT', orderId: resting('binance') }),
      fields: [field('symbol', 'symbol'), field('orderId', 'id')],
    },
    {
      name: 'binance POST /fapi/v1/leverage', dialect: 'binance', method: 'POST', path: '/fapi/v1/leverage', carrier: 'form', mutating: true,
      base: () => ({ symbol: 'BTCUSDT', leverage: '7' }),
      fields: [field('symbol', 'symbol'), field('leverage', 'leverage')],
    },
    {
      name: 'binance GET /fapi/v1/order', dialect: 'binance', method: 'GET', path: '/fapi/v1/order', carrier: 'query', mutating: false,
      base: () => ({ symbol: 'BTCUSDT', orderId: resting('binance') }),
      fields: [field('symbol', 'symbol'), field('orderId', 'id')],
    },
    // --- Bybit (one-way, JSON bodies)
    {
      name: 'bybit POST /v5/order/create', dialect: 'bybit', method: 'POST', path: '/v5/order/create', carrier: 'json', mutating: true,
      base: () => ({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.001', price: '59500', timeInForce: 'GTC' }),
      fields: [field('category', 'enum'), field('symbol', 'symbol'), field('side', 'enum'), field('orderType', 'enum'), field('qty', 'qty'), field('price', 'price'),
        field('timeInForce', 'enum', false), field('orderLinkId', 'clientId', false), field('reduceOnly', 'flag', false)],
    },
    {
      name: 'bybit POST /v5/order/cancel', dialect: 'bybit', method: 'POST', path: '/v5/order/cancel', carrier: 'json', mutating: true,
      base: () => ({ category: 'linear', symbol: 'BTCUSDT', orderId: resting('bybit') }),
      fields: [field('category', 'enum'), field('symbol', 'symbol'), field('orderId', 'id')],
    },
    {
      name: 'bybit POST /v5/position/set-leverage', dialect: 'bybit', method: 'POST', path: '/v5/position/set-leverage', carrier: 'json', mutating: true,
      base: () => ({ category: 'linear', symbol: 'BTCUSDT', buyLeverage: '7', sellLeverage: '7' }),
      fields: [field('category', 'enum'), field('symbol', 'symbol'), field('buyLeverage', 'leverage'), field('sellLeverage', 'leverage')],
    },
    {
      name: 'bybit GET /v5/order/realtime', dialect: 'bybit', method: 'GET', path: '/v5/order/realtime', carrier: 'query', mutating: false,
      base: () => ({ category: 'linear', symbol: 'BTCUSDT' }),
      fields: [field('category', 'enum'), field('symbol', 'symbol', false), field('limit', 'leverage', false)],
    },
    // --- KuCoin futures (one-way, isolated, JSON bodies)
    {
      name: 'kucoin POST /api/v1/orders', dialect: 'kucoin', method: 'POST', path: '/api/v1/orders', carrier: 'json', mutating: true,
      base: () => ({ clientOid: `fuzz-${++clientIds}`, symbol: 'XBTUSDTM', side: 'buy', type: 'limit', price: '59500', size: 1, leverage: 5 }),
      fields: [field('clientOid', 'clientId'), field('symbol', 'symbol'), field('side', 'enum'), field('type', 'enum', false), field('price', 'price'), field('size', 'qty'),
        field('leverage', 'leverage', false), field('timeInForce', 'enum', false), field('reduceOnly', 'flag', false)],
    },
    {
      name: 'kucoin DELETE /api/v1/orders/{orderId}', dialect: 'kucoin', method: 'DELETE', path: '/api/v1/orders/{orderId}', carrier: 'query', mutating: true,
      base: () => ({ orderId: resting('kucoin') }),
      fields: [],
      pathFields: [field('orderId', 'id')],
    },
    {
      name: 'kucoin POST /api/v1/position/margin/deposit-margin', dialect: 'kucoin', method: 'POST', path: '/api/v1/position/margin/deposit-margin', carrier: 'json', mutating: true,
      base: () => ({ symbol: 'XBTUSDTM', margin: '1', bizNo: `fuzz-${++clientIds}` }),
      // bizNo (KuCoin's idempotency key) is taken and not read: not fuzzed (docs/testing.md).
      fields: [field('symbol', 'symbol'), field('margin', 'amount')],
    },
    {
      name: 'kucoin GET /api/v1/orders', dialect: 'kucoin', method: 'GET', path: '/api/v1/orders', carrier: 'query', mutating: false,
      base: () => ({ status: 'active', symbol: 'XBTUSDTM' }),
      fields: [field('status', 'enum', false), field('symbol', 'symbol', false), field('side', 'enum', false), field('pageSize', 'leverage', false)],
    },
  ];
}
