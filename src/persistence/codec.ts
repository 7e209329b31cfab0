/**
 * JSON that keeps bigints exact: a bigint is written as {"$n":"<digits>"}. No string a client can
 * send becomes an object, so user data (client order ids, …) can never be mistaken for a number.
 */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? { $n: v.toString() } : v));
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$n' && typeof (v as { $n: unknown }).$n === 'string') return BigInt((v as { $n: string }).$n);
    }
    return v;
  }) as T;
}
