/**
 * Repeated keys in a JSON body. JSON.parse keeps the last of two equal keys without a word, so
 * `{"price":"59500","price":"1"}` would silently drop the first price; a front door refuses such a
 * body instead (a parameter is sent once, as Binance's -1101 "Duplicate values for a parameter"
 * says of its forms and queries).
 */

/**
 * The first key that some object of `text` holds twice, or undefined. `text` must be valid JSON
 * (parse it first): the scan only follows strings and brackets.
 */
export function repeatedKey(text: string): string | undefined {
  // Per open bracket: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let keyNext = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const keys = open.at(-1);
      if (keyNext && keys instanceof Set) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
        keyNext = false;
      }
      i = end;
    } else if (c === '{') {
      open.push(new Set());
      keyNext = true;
    } else if (c === '[') {
      open.push(null);
      keyNext = false;
    } else if (c === '}' || c === ']') {
      open.pop();
      keyNext = false;
    } else if (c === ',') {
      keyNext = open.at(-1) instanceof Set;
    }
  }
  return undefined;
}
