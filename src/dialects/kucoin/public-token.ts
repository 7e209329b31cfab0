/**
 * Public stream tokens (bullet-public). A public token grants nothing that needs credentials — only
 * the market-data topics anyone may read — so it is checked without server state: its text carries
 * the time it was issued, and it is good for KuCoin's 24 hours from then. That keeps no memory per
 * token, and a token survives a restart (ccxt reconnects with the URL it cached).
 *
 * Form: `pub-<issued ms>-<16 random hex>`; the random part only makes tokens distinct.
 */
import { randomBytes } from 'node:crypto';

export const PUBLIC_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
const FORM = /^pub-(\d{1,16})-[0-9a-f]{16}$/;

export function issuePublicToken(now: number): string {
  return `pub-${now}-${randomBytes(8).toString('hex')}`;
}

/** Whether `token` is a public token issued within `ttlMs` of `now` (either way: the service clock may be set back). */
export function isLivePublicToken(token: string, now: number, ttlMs = PUBLIC_TOKEN_TTL_MS): boolean {
  const match = FORM.exec(token);
  if (match === null) return false;
  const issued = Number(match[1]);
  return Math.abs(now - issued) < ttlMs;
}
