/**
 * Binance's BNB fee burn: an account that switches it on pays trading fees in BNB, at a 10 %
 * discount, converted at the operator's BNB price in the settle asset, whenever its available BNB
 * covers the fee. Rules: docs/engine-rules.md, "Fee burn".
 */
import { AMOUNT_SCALE, RATE_SCALE, ceilDiv } from './fixed.js';
import type { Core } from './core.js';
import { refuse } from './refuse.js';
import { availableBalance } from './snapshots.js';
import type { Account, Wallet } from './state.js';
import type { CommandResult, SetAssetPrice, SetFeeBurn } from './types.js';
import { MAX_AMOUNT } from './accounts.js';

/** The asset fees are burnt in. */
export const FEE_BURN_ASSET = 'BNB';
/** Share of the settle-asset fee that is charged when it is paid in BNB (Binance: 10 % off). */
export const FEE_BURN_RATE = 90_000_000n;
const ASSET_RE = /^[A-Z0-9]{1,16}$/;
const DONE: CommandResult = { ok: true, kind: 'done' };

export const assetPriceKey = (asset: string, quoteAsset: string): string => `${asset}/${quoteAsset}`;

export function setFeeBurn(core: Core, cmd: SetFeeBurn): CommandResult {
  const account = core.accounts.get(cmd.accountId);
  if (account === undefined) return refuse('UNKNOWN_ACCOUNT', `account ${cmd.accountId} does not exist`);
  if (typeof cmd.feeBurn !== 'boolean') return refuse('INVALID_ARGUMENT', 'feeBurn must be true or false');
  account.feeBurn = cmd.feeBurn;
  return DONE;
}

export function setAssetPrice(core: Core, cmd: SetAssetPrice): CommandResult {
  if (typeof cmd.asset !== 'string' || !ASSET_RE.test(cmd.asset) || typeof cmd.quoteAsset !== 'string' || !ASSET_RE.test(cmd.quoteAsset)) {
    return refuse('INVALID_ARGUMENT', 'asset and quoteAsset must be 1-16 characters A-Z 0-9, e.g. BNB and USDT');
  }
  if (cmd.asset === cmd.quoteAsset) return refuse('INVALID_ARGUMENT', 'an asset has no price in itself');
  if (typeof cmd.price !== 'bigint' || cmd.price <= 0n || cmd.price > MAX_AMOUNT) {
    return refuse('INVALID_ARGUMENT', 'price must be a positive amount of the quote asset per whole unit of the asset');
  }
  core.assetPrices.set(assetPriceKey(cmd.asset, cmd.quoteAsset), cmd.price);
  return DONE;
}

/** The fee in BNB units for a settle-asset fee at a BNB price: ceil(fee × 0.9 × 10⁸ / price). */
export function burntFee(fee: bigint, price: bigint): bigint {
  return ceilDiv(fee * FEE_BURN_RATE * AMOUNT_SCALE, RATE_SCALE * price);
}

/**
 * The BNB wallet and amount that pay `fee` (settle-asset units) instead of the settle asset, or null
 * when the fee stays in the settle asset: burn off, no fee, no BNB price, or too little BNB.
 */
export function feeBurnCharge(core: Core, account: Account, settleAsset: string, fee: bigint): { wallet: Wallet; amount: bigint } | null {
  if (!account.feeBurn || fee <= 0n || settleAsset === FEE_BURN_ASSET) return null;
  const price = core.assetPrices.get(assetPriceKey(FEE_BURN_ASSET, settleAsset));
  const wallet = account.wallets.get(FEE_BURN_ASSET);
  if (price === undefined || wallet === undefined) return null;
  const amount = burntFee(fee, price);
  return availableBalance(wallet) >= amount ? { wallet, amount } : null;
}
