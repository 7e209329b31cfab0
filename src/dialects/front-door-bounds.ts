/**
 * The bounds every front door checks before a command reaches the engine, in one place. A command
 * the engine refuses is still sequenced and journaled (with an fsync), so input that is malformed,
 * out of range or too long must be refused here, at the door, where it writes nothing. Each bound
 * is derived from the engine's own (engine/orders.ts, engine/symbol.ts, engine/accounts.ts) and
 * narrowed to what the exchange documents; each dialect words the problem as its own error.
 */
import { MAX_AMOUNT } from '../engine/accounts.js';
import { AMOUNT_DECIMALS, decimalPlaces, formatAmount, minBig, parseAmount, parseScaled } from '../engine/fixed.js';
import { formatPrice, parsePrice } from '../engine/format.js';
import { notional } from '../engine/margin.js';
import { CLIENT_ORDER_ID_MAX_LENGTH, CLIENT_ORDER_ID_RE } from '../engine/orders.js';
import type { SymbolConfig } from '../engine/symbol.js';

/** A client order id rule: the exchange's documented one, within the engine's. */
export interface ClientIdRule {
  /** The longest id the exchange documents. */
  readonly exchangeMaxLength: number;
  /** The longest id accepted here: the exchange's, never beyond the engine's. */
  readonly maxLength: number;
  /** One allowed character (always a subset of the engine's characters). */
  readonly char: RegExp;
  /** The allowed characters, as an error message lists them. */
  readonly charsText: string;
}

function clientIdRule(exchangeMaxLength: number, char: RegExp, charsText: string): ClientIdRule {
  return Object.freeze({ exchangeMaxLength, maxLength: Math.min(exchangeMaxLength, CLIENT_ORDER_ID_MAX_LENGTH), char, charsText });
}

/** Client order ids per exchange (docs/dialects/*.md say where each comes from). */
export const CLIENT_ID_RULES = Object.freeze({
  /** XT futures documents no length or characters for clientOrderId: 36 of the characters ccxt and XT's SDK use. */
  xt: clientIdRule(36, /[A-Za-z0-9_.:-]/, 'A-Z a-z 0-9 _ . : -'),
  /** Binance newClientOrderId `^[\.A-Z\:/a-z0-9_-]{1,36}$`. */
  binance: clientIdRule(36, /[A-Za-z0-9_.:/-]/, 'A-Z a-z 0-9 _ . : / -'),
  /** Bybit orderLinkId: at most 36 of letters, digits, "-" and "_". */
  bybit: clientIdRule(36, /[A-Za-z0-9_-]/, 'A-Z a-z 0-9 _ -'),
  /** KuCoin clientOid: at most 40 of letters, digits, "_" and "-". */
  kucoin: clientIdRule(40, /[A-Za-z0-9_-]/, 'A-Z a-z 0-9 _ -'),
});

/**
 * What is wrong with a client order id, and what to send instead; undefined when it is fine.
 * The message never repeats the id itself (it may be megabytes long).
 */
export function clientIdProblem(rule: ClientIdRule, name: string, id: string): string | undefined {
  const wanted = `send 1 to ${rule.maxLength} characters of ${rule.charsText}`;
  if (id.length > rule.maxLength) {
    const note = rule.exchangeMaxLength > rule.maxLength ? ` (the exchange allows ${rule.exchangeMaxLength}; this server keeps ${rule.maxLength})` : '';
    return `${name} is ${id.length} characters long: ${wanted}${note}`;
  }
  const bad = [...id].find((c) => !rule.char.test(c));
  if (bad !== undefined) return `${name} contains ${JSON.stringify(bad)}: ${wanted}`;
  // Every rule's characters are the engine's or fewer; this keeps that true if a rule changes.
  if (!CLIENT_ORDER_ID_RE.test(id)) return `${name} is not a valid client order id: ${wanted}`;
  return undefined;
}

/**
 * The most margin one request may move into or out of a position of `config`: the largest notional
 * a position of the symbol can reach (maxPositionQty contracts at maxPriceTicks, symbol.ts), which is
 * its whole initial margin at leverage 1, and never more than the engine's largest transfer.
 */
export function maxMarginAmount(config: SymbolConfig): bigint {
  // Inverse: the coin value q × C / p is largest at the lowest price, one tick (valuePerTickContract is 0 there).
  const largestNotional = config.inverse
    ? notional(config, config.spec.maxPositionQty, 1)
    : BigInt(config.spec.maxPositionQty) * BigInt(config.spec.maxPriceTicks) * config.valuePerTickContract;
  return minBig(largestNotional, MAX_AMOUNT);
}

export type AmountReading = { ok: true; amount: bigint } | { ok: false; tooLarge: boolean; problem: string };

/** A margin amount of `config`'s settle asset: a positive decimal with at most 8 places, at most maxMarginAmount. */
export function readMarginAmount(config: SymbolConfig, name: string, text: string): AmountReading {
  const max = maxMarginAmount(config);
  const wanted = `send a positive decimal with at most ${AMOUNT_DECIMALS} decimal places, up to ${formatAmount(max)} ${config.settleAsset}`;
  let amount: bigint;
  try {
    amount = parseAmount(text);
  } catch {
    return { ok: false, tooLarge: false, problem: `${name} is not a decimal number with at most ${AMOUNT_DECIMALS} decimal places: ${wanted}` };
  }
  if (amount <= 0n) return { ok: false, tooLarge: false, problem: `${name} must be positive: ${wanted}` };
  if (amount > max) {
    return { ok: false, tooLarge: true, problem: `${name} is more than a position of this symbol can ever hold (its largest notional): ${wanted}` };
  }
  return { ok: true, amount };
}

/** Why a price text is refused: not a number, not positive, off the tick, or above the symbol's highest price. */
export type PriceProblem = 'malformed' | 'notPositive' | 'offTick' | 'tooHigh';

/** The price range of a symbol in words: "from 0.1 to 10000000 in steps of 0.1". */
export function priceRangeText(config: SymbolConfig): string {
  return `from ${config.spec.tickSize} to ${formatPrice(config, config.spec.maxPriceTicks)} in steps of ${config.spec.tickSize}`;
}

/** A limit price in ticks (engine/format.ts parsePrice decides), or why it is refused. */
export function readPrice(config: SymbolConfig, text: string): { ok: true; ticks: number } | { ok: false; problem: PriceProblem } {
  const ticks = parsePrice(config, text);
  return ticks === undefined ? { ok: false, problem: whyNotAPrice(config, text) } : { ok: true, ticks };
}

function whyNotAPrice(config: SymbolConfig, text: string): PriceProblem {
  let places: number;
  try {
    places = decimalPlaces(text);
  } catch {
    return 'malformed';
  }
  if (parseScaled(text, places) <= 0n) return 'notPositive';
  return decimalAbove(text, formatPrice(config, config.spec.maxPriceTicks)) ? 'tooHigh' : 'offTick';
}

/** Whether the decimal `text` is above the decimal `limit`, compared exactly; false when `text` is not a decimal. */
export function decimalAbove(text: string, limit: string): boolean {
  let places: number;
  try {
    places = Math.max(decimalPlaces(text), decimalPlaces(limit));
  } catch {
    return false;
  }
  return parseScaled(text, places) > parseScaled(limit, places);
}

/** A price problem in words, with what to send. */
export function priceProblemText(config: SymbolConfig, name: string, problem: PriceProblem): string {
  const wanted = `send a price ${priceRangeText(config)}`;
  switch (problem) {
    case 'malformed': return `${name} is not a decimal number: ${wanted}`;
    case 'notPositive': return `${name} must be positive: ${wanted}`;
    case 'offTick': return `${name} is not a multiple of the tick size ${config.spec.tickSize}: ${wanted}`;
    case 'tooHigh': return `${name} is above the highest price ${formatPrice(config, config.spec.maxPriceTicks)}: ${wanted}`;
  }
}

/** The longest piece of a client's value an error message repeats. */
export const MAX_ECHO_LENGTH = 40;

/** A client's value as an error message may show it: whole when short, else its start and its length. */
export function echo(text: string): string {
  return text.length <= MAX_ECHO_LENGTH ? text : `${text.slice(0, MAX_ECHO_LENGTH)}… (${text.length} characters)`;
}
