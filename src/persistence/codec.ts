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
  // A reviver makes V8 call back into JS for every key; parsing plainly and then walking only
  // text that holds the marker at all is several times faster (journal batches, old snapshots).
  const value: unknown = JSON.parse(text);
  return (text.includes('"$n"') ? revive(value) : value) as T;
}

/** Replaces every {"$n": "<digits>"} object in place (arrays and objects), bottom-up. */
function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item !== null && typeof item === 'object') value[i] = revive(item);
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  let keys = 0;
  for (const key in record) {
    keys += 1;
    const item = record[key];
    if (item !== null && typeof item === 'object') record[key] = revive(item);
  }
  if (keys === 1 && typeof record.$n === 'string') return BigInt(record.$n);
  return value;
}
