/**
 * Values no front door may accept, by the kind of parameter they are sent as. Each pool holds only
 * values that are wrong for that kind on every exchange (a case must be a refusal, so a value that
 * some exchange would take does not belong here): wrong types, malformed and exotic number texts
 * (exponents, NaN, Infinity, hex, other scripts' digits, thousands separators, spaces), values past
 * 2^53 and 2^63, huge and tiny magnitudes, unknown enum members and symbols, malformed ids.
 */
import fc from 'fast-check';

/** A parameter's kind, which decides what is certainly wrong for it. */
export type Kind = 'symbol' | 'enum' | 'qty' | 'price' | 'leverage' | 'amount' | 'id' | 'clientId' | 'flag';

const POW_53_PLUS_1 = '9007199254740993';
const POW_63 = '9223372036854775808';
const POW_64_PLUS_1 = '18446744073709551617';

/** Number texts that are no positive decimal any exchange takes. */
const BAD_NUMBER_TEXTS = [
  'abc', 'NaN', 'nan', 'Infinity', '-Infinity', '∞', '1e3', '1E2', '2e-3', '1e400', '0x10', '0b1', '1_000', '١٢', '1,5', '1 5',
  ' 1', '1 ', '\t1', '1\n', '--1', '-1', '-0.5', '0', '-0', '0.0', '.', '-', '1.2.3', '1..2', '9'.repeat(60), POW_53_PLUS_1,
  POW_63, POW_64_PLUS_1, `0.${'0'.repeat(40)}1`, `1.${'0'.repeat(40)}1`, 'null', 'undefined', 'true', '[1]', '{"a":1}',
];

/** JSON values that are no number any exchange takes (JSON bodies only). */
const BAD_JSON_NUMBERS: unknown[] = [true, false, {}, [], ['1'], { value: '1' }, -1, -0.5, 0, 1e300, 2 ** 64, 0.1 + 0.2 + 1e-9, Number.MAX_SAFE_INTEGER + 2];

const BAD_ENUM_TEXTS = ['XBUY', 'BUY ', ' BUY', 'B', 'BUY\u0000', 'ＢＵＹ', 'SELL,BUY', 'null', 'undefined', 'true', '0', '-1', '%00', 'x'.repeat(300)];
const BAD_JSON_ENUMS: unknown[] = [123, -1, true, false, {}, [], ['BUY'], { side: 'BUY' }, 1.5];

const BAD_SYMBOL_TEXTS = ['DOGEUSDT', 'DOGE_USDT', 'DOGEUSDTM', 'BTC-USDT', 'BTC/USDT', '../btc_usdt', 'btc_usdt\u0000', 'BTCUSDT\u0000', ' ', 'x'.repeat(300), '%', 'null', '0'];
const BAD_JSON_SYMBOLS: unknown[] = [123, true, {}, [], ['BTCUSDT'], { symbol: 'BTCUSDT' }];

const BAD_ID_TEXTS = ['abc', '-1', '1.5', '1e3', '0x1F', '9'.repeat(40), POW_63, POW_64_PLUS_1, ' 1', '1 ', '١', 'null', '[]'];
const BAD_JSON_IDS: unknown[] = [true, {}, [], [1], { id: 1 }, -1, 1.5, 2 ** 64];

/** Client order ids no exchange takes: too long, or a character none of them allows. */
const BAD_CLIENT_ID_TEXTS = ['x'.repeat(41), 'x'.repeat(200), 'a b', 'é', '<script>', 'a"b', 'a\nb', 'a#b', 'a%b', 'a\u0000b', '😀'];
const BAD_JSON_CLIENT_IDS: unknown[] = [true, {}, [], ['a'], { id: 'a' }];

const BAD_FLAG_TEXTS = ['yes', 'no', '2', '-1', 'TRUE ', ' false', 'tru', 'null'];
const BAD_JSON_FLAGS: unknown[] = [2, -1, {}, [], [true], 'yes'];

const TEXTS: Readonly<Record<Kind, readonly string[]>> = {
  symbol: BAD_SYMBOL_TEXTS,
  enum: BAD_ENUM_TEXTS,
  qty: BAD_NUMBER_TEXTS,
  price: BAD_NUMBER_TEXTS,
  // (A fractional leverage is no fault everywhere: KuCoin's order leverage may be 1.5.)
  leverage: [...BAD_NUMBER_TEXTS, '100000'],
  amount: BAD_NUMBER_TEXTS,
  id: BAD_ID_TEXTS,
  clientId: BAD_CLIENT_ID_TEXTS,
  flag: BAD_FLAG_TEXTS,
};

const JSON_VALUES: Readonly<Record<Kind, readonly unknown[]>> = {
  symbol: BAD_JSON_SYMBOLS,
  enum: BAD_JSON_ENUMS,
  qty: BAD_JSON_NUMBERS,
  price: BAD_JSON_NUMBERS,
  leverage: [...BAD_JSON_NUMBERS, 100_000],
  amount: BAD_JSON_NUMBERS,
  id: BAD_JSON_IDS,
  clientId: BAD_JSON_CLIENT_IDS,
  flag: BAD_JSON_FLAGS,
};

/** A wrong value for a parameter of `kind`: text for a query or form, any JSON value in a JSON body. */
export function badValue(kind: Kind, json: boolean): fc.Arbitrary<unknown> {
  const texts = fc.constantFrom(...TEXTS[kind]);
  return json ? fc.oneof(texts, fc.constantFrom(...JSON_VALUES[kind])) : texts;
}

/** Names no endpoint takes (a parameter that is not supported is refused, never silently dropped). */
export const unknownName = fc.constantFrom('foo', 'quantity2', 'SYMBOL', 'symbol ', 'constructor', 'toString', 'hasOwnProperty', 'x'.repeat(200), '', 'a[b]', 'a.b');

/** Bodies that are not the JSON object or form an endpoint reads. */
export const badJsonBody = fc.constantFrom('[]', 'null', '1', '"x"', 'true', '{', '{"a":', '{"a":1,}', "{'a':1}", '{"a":1}{"b":2}', '\u0000', '\ufeff{}x', '[{}]', `{"a":${'['.repeat(2000)}${']'.repeat(2000)}}`, '{"a":NaN}', '{"a":Infinity}', '{"a":01}', '{"a":1e}');
export const badFormBody = fc.constantFrom('%', '%zz', 'a=%E0%A4%A', '=1', 'a=1&=2', '%00=%00', 'a=%FF%FE', 'symbol=%C0%AF');
