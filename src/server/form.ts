/**
 * Strict percent-decoding of query strings, form bodies and path segments: a malformed escape
 * (`%zz`, a cut UTF-8 sequence such as `%E0%A4%A`, a lone `%`) is an error the front door answers
 * with a 400 in its own shape, never a thrown URIError (a 500) nor text kept as it was written.
 */

/** A query or form body whose percent-encoding does not decode to UTF-8 text (`%zz`, a cut `%E0%A4%A`, a lone `%`). */
export class MalformedEncodingError extends Error {
  override name = 'MalformedEncodingError';
  readonly statusCode = 400;
  constructor(readonly where: 'query' | 'body', readonly parameter: string) {
    super(`the ${where} is not valid percent-encoded UTF-8 (in parameter '${parameter.slice(0, 64)}'): encode every '%' as %25 and every byte of a UTF-8 character as %XX`);
  }
}

/** Decodes a path segment ('+' stays a '+'); undefined when its percent-encoding is malformed. */
export function decodePathSegment(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Decodes one form/query component ('+' is a space); undefined when its percent-encoding is malformed. */
export function decodeComponent(text: string): string | undefined {
  return decodePathSegment(text.replaceAll('+', ' '));
}

/** The key=value pairs of a query string or form body, decoded strictly; throws MalformedEncodingError. */
export function parseForm(raw: string, where: 'query' | 'body'): [string, string][] {
  const pairs: [string, string][] = [];
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const rawKey = at < 0 ? pair : pair.slice(0, at);
    const key = decodeComponent(rawKey);
    const value = decodeComponent(at < 0 ? '' : pair.slice(at + 1));
    if (key === undefined || value === undefined) throw new MalformedEncodingError(where, key ?? rawKey);
    pairs.push([key, value]);
  }
  return pairs;
}
