/**
 * Each dialect's pushes → the normalized model (model.ts). A decoder reads only what its wire
 * carries, exactly as a client of that dialect would, and converts units (contracts or lots → base
 * units, ticks → decimals) with exact decimal arithmetic. Fields a dialect does not carry are
 * never set, so they are never compared (the table is in agreement.test.ts and
 * docs/dialects/cross-dialect.md).
 *
 * Averages (entry and fill prices) are kept as the dialect's text with the number of decimals the
 * dialect documents, and compared with the engine's exact value to within half a unit of that place.
 */
import { dec, decFloor, decMul, decNeg, isZero, rounded } from './exact.js';
import { deliveryLine, sum, type Model, type Status, type Units } from './model.js';

type Json = Record<string, unknown>;

/** What a decoder needs to know besides the push. */
export interface DecodeContext {
  units: ReadonlyMap<string, Units>;
  /** Whether the account was in one-way mode at account seq `seq` (XT shows one-way positions as LONG/SHORT). */
  oneWay(seq: number): boolean;
}

const str = (value: unknown, what: string): string => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new Error(`expected a decimal for ${what}, got ${JSON.stringify(value)}`);
};

function unitsOf(ctx: DecodeContext, symbol: string): Units {
  const u = ctx.units.get(symbol);
  if (u === undefined) throw new Error(`unknown symbol ${symbol}`);
  return u;
}

/** An engine symbol's pair as the exchanges write it (`btc_usd270326` → `BTCUSD`): the delivery date dropped. */
function pairOf(u: Units): string {
  const [base, quote] = u.symbol.toUpperCase().split('_') as [string, string];
  return `${base}${u.deliveryTime === null ? quote : quote.replace(/\d{6}$/, '')}`;
}

const two = (n: number): string => String(n).padStart(2, '0');
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
/** The futures month codes (January F … December Z) of Bybit's inverse and KuCoin's quarterly names. */
const MONTH_CODES = 'FGHJKMNQUVXZ';

/**
 * Binance's names (exchangeInfo): USDⓈ-M perpetuals the bare pair (`BTCUSDT`), COIN-M perpetuals
 * `<pair>_PERP` (`BTCUSD_PERP`), every quarterly `<pair>_<YYMMDD>` (`BTCUSDT_270326`, `BTCUSD_270326`).
 */
export function binanceSymbolName(u: Units): string {
  if (u.deliveryTime !== null) {
    const d = new Date(u.deliveryTime);
    return `${pairOf(u)}_${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}`;
  }
  return u.inverse === null ? pairOf(u) : `${pairOf(u)}_PERP`;
}

/**
 * Bybit's names (enum "symbol"): perpetuals the pair (`BTCUSDT`, inverse `BTCUSD`), inverse futures
 * the pair, the quarter's month code and the year (`BTCUSDH27`), USDT futures `<pair>-<D><MON><YY>` (`BTCUSDT-26MAR27`).
 */
export function bybitSymbolName(u: Units): string {
  if (u.deliveryTime === null) return pairOf(u);
  const d = new Date(u.deliveryTime);
  if (u.inverse !== null) return `${pairOf(u)}${MONTH_CODES[d.getUTCMonth()]!}${two(d.getUTCFullYear() % 100)}`;
  return `${pairOf(u)}-${d.getUTCDate()}${MONTHS[d.getUTCMonth()]!}${two(d.getUTCFullYear() % 100)}`;
}

/**
 * KuCoin's names (bitcoin is XBT there): perpetuals BASE + QUOTE + "M" (`XBTUSDTM`, inverse `XBTUSDM`),
 * coin-margined quarterlies BASE + "M" + month code + year (`XBTMH27`); KuCoin lists no USDT quarterly (undefined).
 */
export function kucoinSymbolName(u: Units): string | undefined {
  const [base, quote] = u.symbol.toUpperCase().split('_') as [string, string];
  const coin = base === 'BTC' ? 'XBT' : base;
  if (u.deliveryTime === null) return `${coin}${quote}M`;
  if (u.inverse === null) return undefined;
  const d = new Date(u.deliveryTime);
  return `${coin}M${MONTH_CODES[d.getUTCMonth()]!}${two(d.getUTCFullYear() % 100)}`;
}

/** KuCoin's currency codes: XBT is bitcoin. */
export const kucoinAsset = (currency: string): string => (currency === 'XBT' ? 'BTC' : currency);

function lookup(ctx: DecodeContext, name: string, naming: (u: Units) => string | undefined, dialect: string): string {
  for (const u of ctx.units.values()) if (naming(u) === name) return u.symbol;
  throw new Error(`unknown ${dialect} symbol ${name}`);
}

/** The engine symbol of a Binance name. */
export const concatName = (ctx: DecodeContext, name: string): string => lookup(ctx, name, binanceSymbolName, 'Binance');
/** The engine symbol of a Bybit name. */
export const bybitName = (ctx: DecodeContext, name: string): string => lookup(ctx, name, bybitSymbolName, 'Bybit');
/** The engine symbol of a KuCoin name. */
export const kucoinName = (ctx: DecodeContext, name: string): string => lookup(ctx, name, kucoinSymbolName, 'KuCoin');

/** Binance quantities: USDⓈ-M in base units, COIN-M in contracts (× the contract's USD value here). */
export const binanceQty = (u: Units, text: string): string => (u.inverse === null ? dec(text) : decMul(text, u.contractSize));

/**
 * KuCoin's unrealised PnL: an inverse contract's is shown at 10 decimals of XBT (mark value − posCost,
 * seed 004), the same quantity the engine holds in 10^-8 rounded down; agreement is that figure
 * rounded down to the engine's unit. A linear contract's is the engine's amount as it is.
 */
const kucoinUnrealized = (u: Units, text: string): string => (u.inverse === null ? dec(text) : decFloor(text, 8));

/** An average price, or null for "none" (every dialect writes an absent average as 0 or ""). */
const average = (text: string, decimals: number) => (text === '' || isZero(text) ? null : rounded(text, decimals));
const markOf = (text: string): string | null => (text === '' || isZero(text) ? null : dec(text));

// ---------------------------------------------------------------------------------------------
// XT: {topic, event, seq, data}; quantities in contracts; averages at the tick's decimals + 4.

const XT_STATUS: Record<string, Status> = {
  NEW: 'NEW', PARTIALLY_FILLED: 'PARTIALLY_FILLED', FILLED: 'FILLED', CANCELED: 'CANCELED', PARTIALLY_CANCELED: 'CANCELED', EXPIRED: 'CANCELED', REJECTED: 'REJECTED',
};

export function decodeXt(model: Model, push: { topic: string; event?: string; seq: number; data: Json }, ctx: DecodeContext): void {
  const d = push.data;
  switch (push.topic) {
    case 'notify':
      // The risk engine's notices (seed 000 user.notify): positionSize in contracts.
      model.markers.push(`notify(${push.event ?? ''}) ${str(d.symbol, 'symbol')} ${str(d.positionType, 'positionType')} ${str(d.positionSide, 'positionSide')} ${dec(str(d.positionSize, 'positionSize'))} ${str(d.notifyType, 'notifyType')}`);
      return;
    case 'balance':
      model.set(`wallet:${str(d.coin, 'coin').toUpperCase()}`, {
        walletBalance: dec(str(d.walletBalance, 'walletBalance')),
        availableBalance: dec(str(d.availableBalance, 'availableBalance')),
        orderMargin: dec(str(d.openOrderMarginFrozen, 'openOrderMarginFrozen')),
        positionMargin: sum(str(d.isolatedMargin, 'isolatedMargin'), str(d.crossedMargin, 'crossedMargin')),
      });
      return;
    case 'position': {
      const symbol = str(d.symbol, 'symbol');
      const u = unitsOf(ctx, symbol);
      const size = decMul(str(d.positionSize, 'positionSize'), u.contractSize);
      // XT has no BOTH: a one-way position is shown on the side of its sign.
      const side = ctx.oneWay(push.seq) ? 'BOTH' : str(d.positionSide, 'positionSide');
      const fields = {
        qty: d.positionSide === 'SHORT' ? decNeg(size) : size,
        entryPrice: isZero(size) ? null : average(str(d.entryPrice, 'entryPrice'), u.priceDecimals + 4),
        marginMode: str(d.positionType, 'positionType'),
        leverage: str(d.leverage, 'leverage'),
        margin: dec(str(d.isolatedMargin, 'isolatedMargin')),
        realizedPnlTotal: dec(str(d.realizedProfit, 'realizedProfit')),
        feesTotal: dec(str(d.totalFee, 'totalFee')),
        fundingTotal: dec(str(d.totalFundFee, 'totalFundFee')),
        markPrice: markOf(str(d.markPrice, 'markPrice')),
        unrealizedPnl: dec(str(d.unrealizedProfit, 'unrealizedProfit')),
      };
      model.set(`position:${symbol}|${side}`, fields);
      model.set(`setting:${symbol}`, { leverage: fields.leverage, marginMode: fields.marginMode });
      return;
    }
    case 'order': {
      const u = unitsOf(ctx, str(d.symbol, 'symbol'));
      const id = str(d.orderId, 'orderId');
      const status = XT_STATUS[str(d.state, 'state')]!;
      const filledQty = decMul(str(d.executedQty, 'executedQty'), u.contractSize);
      model.set(`order:${id}`, {
        clientOrderId: typeof d.clientOrderId === 'string' ? d.clientOrderId : null,
        side: str(d.orderSide, 'orderSide'),
        // XT is hedge-only on the wire: a one-way order shows the side it opens or closes, not BOTH.
        positionSide: ctx.oneWay(push.seq) ? undefined : str(d.positionSide, 'positionSide'),
        type: str(d.orderType, 'orderType'), timeInForce: str(d.timeInForce, 'timeInForce'),
        price: dec(str(d.price, 'price')), qty: decMul(str(d.origQty, 'origQty'), u.contractSize),
        status, filledQty, avgPrice: average(str(d.avgPrice, 'avgPrice'), u.priceDecimals + 4), createTime: str(d.createdTime, 'createdTime'),
      });
      model.logOrder(id, status, filledQty);
      model.statusWords.set(id, str(d.state, 'state'));
      // An order a conditional placed: sourceType ENTRUST / PROFIT and sourceId (xt-rest.md §13).
      if (d.sourceType !== 'DEFAULT') model.origin(id, `${String(d.sourceType)} #${String(d.sourceId)}`);
      return;
    }
    case 'trade': {
      const u = unitsOf(ctx, str(d.symbol, 'symbol'));
      const id = str(d.tradeId, 'tradeId');
      model.set(`fill:${id}`, {
        orderId: str(d.orderId, 'orderId'), side: str(d.orderSide, 'orderSide'), price: dec(str(d.price, 'price')),
        qty: decMul(str(d.quantity, 'quantity'), u.contractSize), fee: dec(str(d.fee, 'fee')), feeAsset: str(d.feeCoin, 'feeCoin').toUpperCase(),
        maker: d.isMaker === true, realizedPnl: dec(str(d.realizedProfit, 'realizedProfit')), time: str(d.timestamp, 'timestamp'),
      });
      model.fillRows.push(id);
      return;
    }
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Binance: ORDER_TRADE_UPDATE, TRADE_LITE, ACCOUNT_UPDATE, ACCOUNT_CONFIG_UPDATE; base quantities;
// averages with max(5, tick decimals + 3) decimals.

const BINANCE_STATUS: Record<string, Status> = {
  NEW: 'NEW', PARTIALLY_FILLED: 'PARTIALLY_FILLED', FILLED: 'FILLED', CANCELED: 'CANCELED', EXPIRED: 'CANCELED', EXPIRED_IN_MATCH: 'CANCELED', REJECTED: 'REJECTED',
};

/** TRADE_LITE events waiting for the ORDER_TRADE_UPDATE of the same fill, by trade id. */
const tradeLites = new WeakMap<Model, Map<string, Json>>();

export function decodeBinance(model: Model, event: Json, ctx: DecodeContext): void {
  switch (event.e) {
    case 'TRADE_LITE': {
      const lites = tradeLites.get(model) ?? new Map<string, Json>();
      tradeLites.set(model, lites);
      lites.set(str(event.t, 't'), event);
      return;
    }
    case 'ORDER_TRADE_UPDATE': {
      const o = event.o as Json;
      const u = unitsOf(ctx, concatName(ctx, str(o.s, 's')));
      const id = str(o.i, 'i');
      const status = BINANCE_STATUS[str(o.X, 'X')]!;
      const filledQty = binanceQty(u, str(o.z, 'z'));
      const clientId = str(o.c, 'c');
      // The risk engine's orders: client id autoclose-<id> (liquidation) or adl_autoclose (ADL), type
      // LIQUIDATION (protocols.md §2.2). Their markers are checked apart (markers.ts); the ids are made
      // from the source and the type is the source, so neither is the order's own.
      const forced = clientId.startsWith('autoclose-') || clientId === 'adl_autoclose' || o.o === 'LIQUIDATION' || o.ot === 'LIQUIDATION' || o.x === 'CALCULATED';
      if (forced) {
        model.markers.push(`ORDER_TRADE_UPDATE #${id} c=${clientId} o=${str(o.o, 'o')} ot=${str(o.ot, 'ot')} x=${str(o.x, 'x')} X=${str(o.X, 'X')}`);
      }
      model.set(`order:${id}`, {
        // An order placed without a client id shows one made from its id.
        clientOrderId: forced || clientId === `perpstream-${id}` ? null : clientId,
        side: str(o.S, 'S'), positionSide: str(o.ps, 'ps'), type: forced ? undefined : str(o.o, 'o'), timeInForce: str(o.f, 'f'),
        price: dec(str(o.p, 'p')), qty: binanceQty(u, str(o.q, 'q')), status, filledQty,
        avgPrice: average(str(o.ap, 'ap'), Math.max(5, u.priceDecimals + 3)),
      });
      model.logOrder(id, status, filledQty);
      model.statusWords.set(id, str(o.X, 'X'));
      // An order an algo order placed shows the algo type as `ot` (binance.md §3).
      if (o.ot !== o.o && !forced) model.origin(id, `ot=${str(o.ot, 'ot')}`);
      if (o.x === 'TRADE' || o.x === 'CALCULATED') {
        const tradeId = str(o.t, 't');
        model.set(`fill:${tradeId}`, {
          orderId: id, side: str(o.S, 'S'), price: dec(str(o.L, 'L')), qty: binanceQty(u, str(o.l, 'l')),
          // N/n are left out when the fill paid no commission.
          fee: o.n === undefined ? '0' : dec(str(o.n, 'n')), feeAsset: o.N === undefined ? undefined : str(o.N, 'N'),
          maker: o.m === true, realizedPnl: dec(str(o.rp, 'rp')), time: str(event.T, 'T'),
        });
        model.fillRows.push(tradeId);
        // The fill's TRADE_LITE (sent just before) must tell the same fill.
        const lite = tradeLites.get(model)?.get(tradeId);
        tradeLites.get(model)?.delete(tradeId);
        if (lite !== undefined) {
          const told = [lite.s, lite.S, lite.L, lite.l, lite.m, lite.i, lite.c, lite.q, lite.p, lite.T];
          const same = [o.s, o.S, o.L, o.l, o.m, o.i, o.c, o.q, o.p, event.T];
          if (JSON.stringify(told) !== JSON.stringify(same)) model.inconsistencies.push(`TRADE_LITE t${tradeId} ${JSON.stringify(told)} vs ORDER_TRADE_UPDATE ${JSON.stringify(same)}`);
        }
      }
      return;
    }
    case 'ACCOUNT_UPDATE': {
      const a = event.a as { m: string; B: Json[]; P: Json[] };
      for (const b of a.B) model.set(`wallet:${str(b.a, 'a')}`, { walletBalance: dec(str(b.wb, 'wb')) });
      if (a.m === 'FUNDING_FEE') {
        // Binance tells funding per asset (bc), not per position.
        for (const b of a.B) model.fundings.push(`${str(b.a, 'a')} ${dec(str(b.bc, 'bc'))}`);
      }
      for (const p of a.P) {
        const symbol = concatName(ctx, str(p.s, 's'));
        const u = unitsOf(ctx, symbol);
        const qty = binanceQty(u, str(p.pa, 'pa'));
        const marginMode = p.mt === 'isolated' ? 'ISOLATED' : 'CROSSED';
        model.set(`position:${symbol}|${str(p.ps, 'ps')}`, {
          qty,
          entryPrice: isZero(qty) ? null : average(str(p.ep, 'ep'), Math.max(5, u.priceDecimals + 3)),
          marginMode,
          // iw is the isolated wallet; a cross position shows "0" there, which is not its margin.
          margin: marginMode === 'ISOLATED' ? dec(str(p.iw, 'iw')) : undefined,
          realizedPnlTotal: dec(str(p.cr, 'cr')),
          unrealizedPnl: dec(str(p.up, 'up')),
        });
        model.set(`setting:${symbol}`, { marginMode });
      }
      return;
    }
    case 'ALGO_UPDATE': {
      // The algo order itself: algoId = 10^15 + the engine's id (binance.md §2a), `ai` the placed order.
      const o = event.o as Json;
      const id = BigInt(str(o.aid, 'aid')) - 1_000_000_000_000_000n;
      const ai = str(o.ai, 'ai');
      model.conditionalLog.push(`#${id} ${str(o.X, 'X')}${ai === '' ? '' : ` ai=${ai}`}${o.rm === undefined ? '' : ` rm=${str(o.rm, 'rm')}`}`);
      return;
    }
    case 'CONDITIONAL_ORDER_TRIGGER_REJECT':
      model.conditionalLog.push(`reject #${str((event.or as Json).i, 'i')}`);
      return;
    case 'MARGIN_CALL': {
      // A WARN notice: one entry per position, cw for cross margin calls only.
      for (const p of event.p as Json[]) {
        const symbol = concatName(ctx, str(p.s, 's'));
        model.markers.push(`MARGIN_CALL ${symbol} ${str(p.ps, 'ps')} pa=${dec(str(p.pa, 'pa'))} mt=${str(p.mt, 'mt')} iw=${dec(str(p.iw, 'iw'))} `
          + `mp=${dec(str(p.mp, 'mp'))} up=${dec(str(p.up, 'up'))} mm=${dec(str(p.mm, 'mm'))} cw=${event.cw === undefined ? '-' : dec(str(event.cw, 'cw'))}`);
      }
      return;
    }
    case 'ACCOUNT_CONFIG_UPDATE': {
      const ac = event.ac as Json | undefined;
      if (ac !== undefined) model.set(`setting:${concatName(ctx, str(ac.s, 's'))}`, { leverage: str(ac.l, 'l') });
      return;
    }
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Bybit: {id, topic, creationTime, data: [...]}; base quantities; averages at tick decimals + 4.

const BYBIT_STATUS: Record<string, Status> = { New: 'NEW', PartiallyFilled: 'PARTIALLY_FILLED', Filled: 'FILLED', Cancelled: 'CANCELED', Rejected: 'REJECTED' };
const BYBIT_SIDE: Record<string, string> = { Buy: 'BUY', Sell: 'SELL' };
const POSITION_IDX = ['BOTH', 'LONG', 'SHORT'] as const;
/** Statuses only a conditional order's own rows have (a refused trigger is the placed order's Rejected row). */
const CONDITIONAL_STATUSES = new Set(['Untriggered', 'Triggered', 'Deactivated']);

export function decodeBybit(model: Model, frame: { topic?: string; data?: unknown }, ctx: DecodeContext): void {
  const rows = (frame.data ?? []) as Json[];
  switch (frame.topic) {
    case 'wallet':
      for (const account of rows) {
        for (const c of account.coin as Json[]) {
          model.set(`wallet:${str(c.coin, 'coin')}`, {
            walletBalance: dec(str(c.walletBalance, 'walletBalance')),
            availableBalance: dec(str(c.availableToWithdraw, 'availableToWithdraw')),
            orderMargin: dec(str(c.totalOrderIM, 'totalOrderIM')),
            positionMargin: dec(str(c.totalPositionIM, 'totalPositionIM')),
          });
        }
      }
      return;
    case 'position':
      for (const p of rows) {
        const symbol = bybitName(ctx, str(p.symbol, 'symbol'));
        const u = unitsOf(ctx, symbol);
        const size = dec(str(p.size, 'size'));
        const fields = {
          qty: p.side === 'Sell' ? decNeg(size) : size,
          entryPrice: isZero(size) ? null : average(str(p.entryPrice, 'entryPrice'), u.priceDecimals + 4),
          marginMode: p.tradeMode === 1 ? 'ISOLATED' : 'CROSSED',
          leverage: str(p.leverage, 'leverage'),
          margin: dec(str(p.positionBalance, 'positionBalance')),
          realizedPnlCurrent: dec(str(p.curRealisedPnl, 'curRealisedPnl')),
          realizedNetTotal: dec(str(p.cumRealisedPnl, 'cumRealisedPnl')),
          markPrice: markOf(str(p.markPrice, 'markPrice')),
          unrealizedPnl: dec(str(p.unrealisedPnl, 'unrealisedPnl')),
        };
        const key = `${symbol}|${POSITION_IDX[p.positionIdx as number]!}`;
        if (p.positionStatus !== 'Normal') model.markers.push(`position ${key} ${str(p.positionStatus, 'positionStatus')} size=${size}`);
        model.set(`position:${key}`, fields);
        model.positionTpsl.set(key, [p.takeProfit, p.stopLoss, p.trailingStop].map((x, i) => dec(str(x, ['takeProfit', 'stopLoss', 'trailingStop'][i]!))).join('/'));
        model.set(`setting:${symbol}`, { leverage: fields.leverage, marginMode: fields.marginMode });
      }
      return;
    case 'order':
      for (const o of rows) {
        const u = unitsOf(ctx, bybitName(ctx, str(o.symbol, 'symbol')));
        const id = str(o.orderId, 'orderId');
        const kind = `${str(o.stopOrderType, 'stopOrderType')} ${str(o.createType, 'createType')}`;
        if (CONDITIONAL_STATUSES.has(str(o.orderStatus, 'orderStatus'))) {
          // The conditional order itself (bybit.md, "One orderId"): not an order of the model.
          const cancel = o.orderStatus === 'Deactivated' ? ` ${str(o.cancelType, 'cancelType')}` : '';
          model.conditionalLog.push(`#${id} ${str(o.orderStatus, 'orderStatus')} ${kind}${cancel}`);
          continue;
        }
        if (o.stopOrderType !== '') model.origin(id, kind);
        // Bybit reports a post-only order that would take as Cancelled with this reject reason
        // (Bybit's own behaviour); a Bybit client reads it as the placement's rejection.
        const status = o.rejectReason === 'EC_PostOnlyWillTakeLiquidity' ? 'REJECTED' : BYBIT_STATUS[str(o.orderStatus, 'orderStatus')]!;
        const filledQty = dec(str(o.cumExecQty, 'cumExecQty'));
        const tif = str(o.timeInForce, 'timeInForce');
        const createType = str(o.createType, 'createType');
        const cancelType = str(o.cancelType, 'cancelType');
        // (An order a conditional placed shows its createType as its origin, checked apart: conditionals.ts.)
        if ((createType !== 'CreateByUser' && o.stopOrderType === '') || cancelType.startsWith('CancelAllBefore')) model.markers.push(`order #${id} ${createType} ${cancelType} ${str(o.orderStatus, 'orderStatus')}`);
        model.set(`order:${id}`, {
          clientOrderId: o.orderLinkId === '' ? null : str(o.orderLinkId, 'orderLinkId'),
          side: BYBIT_SIDE[str(o.side, 'side')]!, positionSide: POSITION_IDX[o.positionIdx as number]!,
          type: str(o.orderType, 'orderType').toUpperCase(), timeInForce: tif === 'PostOnly' ? 'GTX' : tif,
          price: dec(str(o.price, 'price')), qty: dec(str(o.qty, 'qty')), status, filledQty,
          avgPrice: average(str(o.avgPrice, 'avgPrice'), u.priceDecimals + 4), createTime: str(o.createdTime, 'createdTime'),
        });
        model.logOrder(id, status, filledQty);
        model.statusWords.set(id, `${str(o.orderStatus, 'orderStatus')} ${str(o.cancelType, 'cancelType')}`);
      }
      return;
    case 'execution':
      for (const e of rows) {
        const symbol = bybitName(ctx, str(e.symbol, 'symbol'));
        if (e.execType === 'Settle' || e.execType === 'Delivery') {
          // A position closed by its contract's delivery (createType CreateBySettle, no order): on the
          // side that closes it; the position's side is in the id (delivery-<symbol>-<positionIdx>-<time>).
          const idx = Number(str(e.execId, 'execId').split('-').at(-2));
          const qty = dec(str(e.execQty, 'execQty'));
          model.deliveries.push(deliveryLine(symbol, POSITION_IDX[idx]!, e.side === 'Sell' ? qty : decNeg(qty), str(e.execPrice, 'execPrice'),
            str(e.execPnl, 'execPnl'), str(e.execFee, 'execFee')));
          model.markers.push(`execution ${str(e.execType, 'execType')} ${str(e.createType, 'createType')} orderId=${str(e.orderId, 'orderId')}`);
          continue;
        }
        if (e.execType === 'Funding') {
          // execFee is what the position paid; the side is in the execution id (funding-<symbol>-<positionIdx>-<time>).
          const idx = Number(str(e.execId, 'execId').split('-').at(-2));
          model.fundings.push(`${symbol}|${POSITION_IDX[idx]!} ${decNeg(dec(str(e.execFee, 'execFee')))}`);
          continue;
        }
        const id = str(e.execId, 'execId');
        if (e.execType !== 'Trade') model.markers.push(`execution ${id} ${str(e.execType, 'execType')} ${str(e.createType, 'createType')}`);
        model.set(`fill:${id}`, {
          orderId: str(e.orderId, 'orderId'), side: BYBIT_SIDE[str(e.side, 'side')]!, price: dec(str(e.execPrice, 'execPrice')),
          qty: dec(str(e.execQty, 'execQty')), fee: dec(str(e.execFee, 'execFee')), feeAsset: str(e.feeCurrency, 'feeCurrency'),
          maker: e.isMaker === true, realizedPnl: dec(str(e.execPnl, 'execPnl')), time: str(e.execTime, 'execTime'),
        });
        model.fillRows.push(id);
      }
      return;
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// KuCoin classic: {type:"message", topic, subject, data, seq}, read with numbers as exact text;
// sizes in lots (contracts); averages with 10 decimals.

const KUCOIN_AVERAGE_DECIMALS = 10;

/** KuCoin's nanosecond times as milliseconds (what a client keeps: the millisecond the instant is in). */
const millis = (ns: string): string => String(BigInt(ns) / 1_000_000n);

/** The deprecated wallet subjects of a change, waiting for its walletBalance.change (same seq). */
const legacyWallet = new WeakMap<Model, { seq: string; figures: Record<string, string> }>();
const kucoinSide = (text: string): string => text.toUpperCase();

/** The status an orderChange message tells: KuCoin says open/match/done plus a message type. */
function kucoinStatus(d: Json): Status {
  const filled = dec(str(d.filledSize, 'filledSize'));
  switch (d.type) {
    case 'open': return 'NEW';
    case 'filled': return 'FILLED';
    case 'canceled': return 'CANCELED';
    default: return filled === dec(str(d.size, 'size')) ? 'FILLED' : isZero(filled) ? 'NEW' : 'PARTIALLY_FILLED';
  }
}

export function decodeKucoin(model: Model, frame: Json, ctx: DecodeContext): void {
  if (frame.type !== 'message') return;
  const topic = str(frame.topic, 'topic');
  const d = frame.data as Json;
  switch (frame.subject) {
    case 'availableBalance.change':
    case 'orderMargin.change': {
      // Deprecated subjects that repeat walletBalance.change's figures: they must say the same.
      const seq = str(frame.seq, 'seq');
      const pending = legacyWallet.get(model)?.seq === seq ? legacyWallet.get(model)! : { seq, figures: {} };
      for (const name of ['availableBalance', 'holdBalance', 'orderMargin']) if (d[name] !== undefined) pending.figures[name] = dec(str(d[name], name));
      legacyWallet.set(model, pending);
      return;
    }
    case 'walletBalance.change': {
      const legacy = legacyWallet.get(model);
      if (legacy !== undefined && legacy.seq === str(frame.seq, 'seq')) {
        const now: Record<string, string> = {
          availableBalance: dec(str(d.availableBalance, 'availableBalance')), holdBalance: dec(str(d.holdBalance, 'holdBalance')),
          orderMargin: sum(str(d.crossOrderMargin, 'crossOrderMargin'), str(d.isolatedOrderMargin, 'isolatedOrderMargin')),
        };
        for (const [name, value] of Object.entries(legacy.figures)) {
          if (now[name] !== value) model.inconsistencies.push(`seq ${legacy.seq}: deprecated wallet subject ${name} ${value}, walletBalance.change ${now[name]}`);
        }
        legacyWallet.delete(model);
      }
      model.set(`wallet:${kucoinAsset(str(d.currency, 'currency'))}`, {
        walletBalance: dec(str(d.walletBalance, 'walletBalance')),
        availableBalance: dec(str(d.availableBalance, 'availableBalance')),
        orderMargin: sum(str(d.crossOrderMargin, 'crossOrderMargin'), str(d.isolatedOrderMargin, 'isolatedOrderMargin')),
        positionMargin: sum(str(d.crossPosMargin, 'crossPosMargin'), str(d.isolatedPosMargin, 'isolatedPosMargin')),
      });
      return;
    }
    case 'orderChange': {
      const u = unitsOf(ctx, kucoinName(ctx, str(d.symbol, 'symbol')));
      const id = str(d.orderId, 'orderId');
      const status = kucoinStatus(d);
      const filledQty = decMul(str(d.filledSize, 'filledSize'), u.contractSize);
      if (d.tradeType !== 'trade') model.markers.push(`orderChange #${id} ${str(d.type, 'type')} ${str(d.tradeType, 'tradeType')}`);
      model.set(`order:${id}`, {
        clientOrderId: d.clientOid === undefined ? null : str(d.clientOid, 'clientOid'),
        side: kucoinSide(str(d.side, 'side')), positionSide: str(d.positionSide, 'positionSide'), type: str(d.orderType, 'orderType').toUpperCase(),
        price: dec(str(d.price, 'price')), qty: decMul(str(d.size, 'size'), u.contractSize), status, filledQty,
        createTime: millis(str(d.orderTime, 'orderTime')),
      });
      model.logOrder(id, status, filledQty);
      model.statusWords.set(id, str(d.type, 'type'));
      if (d.type === 'match') {
        const tradeId = str(d.tradeId, 'tradeId');
        model.set(`fill:${tradeId}`, {
          orderId: id, side: kucoinSide(str(d.side, 'side')), price: dec(str(d.matchPrice, 'matchPrice')),
          qty: decMul(str(d.matchSize, 'matchSize'), u.contractSize), fee: dec(str(d.fee, 'fee')), feeAsset: kucoinAsset(str(d.feeCurrency, 'feeCurrency')),
          maker: d.liquidity === 'maker', time: millis(str(d.ts, 'ts')),
        });
        model.fillRows.push(tradeId);
      }
      return;
    }
    case 'stopOrder': {
      // advancedOrders (kucoin.md, "Stop orders"): the stop order under the id its placed order keeps.
      const outcome = d.type === 'triggered' ? ` success=${String(d.triggerSuccess)}${d.error === undefined ? '' : ` ${str(d.error, 'error')}`}` : '';
      model.conditionalLog.push(`#${str(d.orderId, 'orderId')} ${str(d.type, 'type')}${outcome}`);
      return;
    }
    case 'position.change': {
      const symbol = kucoinName(ctx, topic.slice(topic.indexOf(':') + 1));
      const u = unitsOf(ctx, symbol);
      // The mark-price form leaves positionSide out for a one-way (BOTH) position.
      const key = `position:${symbol}|${typeof d.positionSide === 'string' ? d.positionSide : 'BOTH'}`;
      if (d.currentQty === undefined) {
        // The reduced set a mark-price move sends.
        model.set(key, { markPrice: markOf(str(d.markPrice, 'markPrice')), unrealizedPnl: kucoinUnrealized(u, str(d.unrealisedPnl, 'unrealisedPnl')) });
        return;
      }
      const qty = decMul(str(d.currentQty, 'currentQty'), u.contractSize);
      const cross = d.crossMode === true;
      // REST position objects (rest.ts) have no changeReason; every pushed full form has one (markers.ts).
      if (d.changeReason !== undefined) model.markers.push(`position.change ${key.slice('position:'.length)} ${str(d.changeReason, 'changeReason')}`);
      model.set(key, {
        qty,
        entryPrice: isZero(qty) ? null : average(str(d.avgEntryPrice, 'avgEntryPrice'), KUCOIN_AVERAGE_DECIMALS),
        marginMode: cross ? 'CROSSED' : 'ISOLATED',
        // A cross position's leverage is the contract's setting; an isolated one's is its real leverage (seed 004).
        leverage: cross ? str(d.leverage, 'leverage') : undefined,
        margin: dec(str(d.posMargin, 'posMargin')),
        realizedPnlCurrent: dec(str(d.realisedPnl, 'realisedPnl')),
        feesCurrent: dec(str(d.currentComm, 'currentComm')),
        // posFunding is in the isolated field set only.
        fundingTotal: d.posFunding === undefined ? undefined : dec(str(d.posFunding, 'posFunding')),
        markPrice: markOf(str(d.markPrice, 'markPrice')),
        unrealizedPnl: kucoinUnrealized(u, str(d.unrealisedPnl, 'unrealisedPnl')),
      });
      model.set(`setting:${symbol}`, { marginMode: cross ? 'CROSSED' : 'ISOLATED', ...(cross ? { leverage: str(d.leverage, 'leverage') } : {}) });
      return;
    }
    case 'position.settlement': {
      const symbol = kucoinName(ctx, topic.slice(topic.indexOf(':') + 1));
      const qty = str(d.qty, 'qty');
      const side = ctx.oneWay(Number(frame.seq)) ? 'BOTH' : qty.startsWith('-') ? 'SHORT' : 'LONG';
      // KuCoin's fundingFee is what the position paid.
      model.fundings.push(`${symbol}|${side} ${decNeg(dec(str(d.fundingFee, 'fundingFee')))}`);
      return;
    }
    case 'position.adjustRiskLimit': {
      const symbol = kucoinName(ctx, topic.slice(topic.indexOf(':') + 1));
      model.markers.push(`position.adjustRiskLimit ${symbol} success=${String(d.success)} level=${str(d.riskLimitLevel, 'riskLimitLevel')} msg=${str(d.msg, 'msg')}`);
      return;
    }
    case 'user.config':
      for (const [name, value] of Object.entries(d)) {
        const symbol = kucoinName(ctx, name);
        if (topic === '/contract/marginMode') model.set(`setting:${symbol}`, { marginMode: value === 'ISOLATED' ? 'ISOLATED' : 'CROSSED' });
        else model.set(`setting:${symbol}`, { leverage: str((value as Json).leverage, 'leverage') });
      }
      return;
    default:
      // withdrawHold.change: perpstream has no withdrawal holds (always 0).
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// KuCoin UTA positionAll: {T:"positionAll.FUTURES", P, d, seq}; decimals as strings; lots.

export function decodeKucoinUta(model: Model, frame: Json, ctx: DecodeContext): void {
  if (frame.T === 'lw.FUTURES') {
    // The liquidation warning (a WARN notice); field meanings as docs/dialects/kucoin.md infers them.
    const d = frame.d as Json;
    const figures = ['r', 'a', 'iM', 'mM', 'e', 'aM', 'l'].map((f) => `${f}=${dec(str(d[f], f))}`).join(' ');
    model.markers.push(`lw ${kucoinName(ctx, str(d.s, 's'))} eT=${str(d.eT, 'eT')} ${figures}`);
    return;
  }
  if (frame.T !== 'positionAll.FUTURES') return;
  const d = frame.d as Json;
  const symbol = kucoinName(ctx, str(d.s, 's'));
  const u = unitsOf(ctx, symbol);
  // pi = <accountId>-<SYMBOL>-<BOTH|LONG|SHORT>: the side is its last part.
  const side = str(d.pi, 'pi').split('-').at(-1)!;
  const qty = decMul(str(d.q, 'q'), u.contractSize);
  const setting = { marginMode: d.mM === 'ISOLATED' ? 'ISOLATED' : 'CROSSED', leverage: str(d.l, 'l') };
  model.set(`position:${symbol}|${side}`, {
    qty,
    entryPrice: isZero(qty) ? null : average(str(d.eP, 'eP'), KUCOIN_AVERAGE_DECIMALS),
    ...setting,
    markPrice: markOf(str(d.mP, 'mP')),
    unrealizedPnl: kucoinUnrealized(u, str(d.uPL, 'uPL')),
    realizedPnlCurrent: dec(str(d.rPL, 'rPL')),
  });
  model.set(`setting:${symbol}`, setting);
}
