/**
 * A leg the risk engine takes over at its bankruptcy price (a full liquidation's order, an ADL)
 * closes as one transaction, but an inverse contract's fills book their PnL rounded down one by one
 * (docs/engine-rules.md, "Inverse contracts"): n fills can book up to n − 1 units less than the same
 * close rounded once, and leave an account that was at its bankruptcy price at −1 with nothing open.
 * Those units went to the rounding dust in the same command; this gives them back, so the account
 * ends as if the leg had closed in one fill (its liquidation order and its ADL together: one takeover).
 * Linear fills are exact: nothing to do.
 */
import { invariant } from '../assert.js';
import type { Core } from '../core.js';
import { INVERSE_COST_SCALE, closePnlOfCost } from '../margin.js';
import type { Order } from '../state.js';

/**
 * `orders`: the risk orders that took the leg over (one account, one side; all of their fills close:
 * a risk order only reduces); `released`: the entry cost their fills released.
 */
export function roundRiskCloseOnce(core: Core, orders: readonly Order[], released: bigint): void {
  const first = orders[0];
  if (first === undefined || !first.symbol.config.inverse) return;
  const config = first.symbol.config;
  let cost = 0n;
  let booked = 0n;
  for (const order of orders) {
    invariant(order.account === first.account && order.side === first.side, `risk order ${order.id} is not of the leg of order ${first.id}`);
    cost += order.cumCost;
    booked += order.realizedPnl;
  }
  if (cost === 0n) return;
  const once = closePnlOfCost(config, first.side === 'SELL', cost, released);
  const lost = once - booked;
  invariant(lost >= 0n, `risk order ${first.id}: the fills booked ${booked}, more than the close rounded once (${once})`);
  if (lost === 0n) return;
  const asset = config.settleAsset;
  const dust = lost * INVERSE_COST_SCALE;
  invariant((core.roundingDust.get(asset) ?? 0n) >= dust, `risk order ${first.id}: the rounding dust of ${asset} holds less than the ${lost} units the fills rounded away`);
  core.addDust(asset, -dust);
  const wallet = core.wallet(first.account, asset);
  wallet.balance += lost;
  wallet.stepChange += lost;
  core.emitter.touchWallet(wallet);
  core.emitter.endStep();
}
