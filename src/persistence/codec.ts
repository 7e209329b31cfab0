/**
 * JSON that keeps bigints exact: a bigint is written as {"$n":"<digits>"}. No string a client can
 * send becomes an object, so user data (client order ids, …) can never be mistaken for a number.
 */
export function encodeJson(value: unknown): string {
  // A replacer makes V8 call back into JS for every key; most journal records (orders, cancels)
  // hold no bigint at all, so they take the plain, much faster path.
  if (!holdsBigint(value)) return JSON.stringify(value);
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? { $n: v.toString() } : v));
}

function holdsBigint(value: unknown): boolean {
  if (typeof value === 'bigint') return true;
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (const item of value) if (holdsBigint(item)) return true;
    return false;
  }
  for (const key in value) if (holdsBigint((value as Record<string, unknown>)[key])) return true;
  return false;
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
