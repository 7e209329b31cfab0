/** The conditional orders' invariants, recomputed from scratch (engine audit). */
import { invariant } from '../assert.js';
import type { Core } from '../core.js';
import { isLeg, trailingTrigger } from './records.js';

export function auditConditionals(core: Core): void {
  const cond = core.conditionals;
  invariant(cond.pending.length === 0, 'conditional orders are pending between commands');
  let inBooks = 0;
  for (const book of cond.books.values()) inBooks += book.size;
  invariant(inBooks === cond.waiting.size, () => `${cond.waiting.size} waiting conditional orders, ${inBooks} in the trigger heaps`);
  let perAccount = 0;
  for (const account of core.accounts.values()) {
    perAccount += account.conditionals.size;
    invariant(account.conditionals.size <= core.maxConditionalOrdersPerAccount + 2, () => `account ${account.id}: too many conditional orders`);
    for (const [clientOrderId, c] of account.conditionalsByClientId) {
      invariant(c.clientOrderId === clientOrderId && account.conditionals.get(c.id) === c, () => `account ${account.id}: stale client id ${clientOrderId}`);
      invariant(!account.liveByClientId.has(clientOrderId), () => `account ${account.id}: client id ${clientOrderId} held by an order and a conditional`);
    }
    for (const order of account.orders.values()) {
      invariant((order.origin === null) === (order.conditionalId === null), () => `order ${order.id}: origin and conditional id disagree`);
      invariant(order.conditionalId === null || order.conditionalId === order.id, () => `order ${order.id}: placed by conditional ${order.conditionalId}`);
    }
    for (const position of account.positions.values()) {
      for (const leg of position.legs ?? []) invariant(cond.waiting.get(leg.id) === leg, () => `position ${position.symbol.config.symbol}: leg ${leg.id} is not waiting`);
    }
  }
  invariant(perAccount === cond.waiting.size, () => `accounts hold ${perAccount} conditional orders, ${cond.waiting.size} are waiting`);
  for (const c of cond.waiting.values()) {
    const where = `conditional ${c.id}`;
    invariant(c.state === 'WAITING' && c.account.conditionals.get(c.id) === c, () => `${where}: not WAITING or not its account's`);
    invariant(cond.book(c.symbol).holds(c), () => `${where}: not in the heaps for what it watches`);
    invariant((c.expireTime !== null) === (c.expirySlot >= 0), () => `${where}: expiry heap disagrees with its expiry`);
    invariant(c.expireTime === null || c.expireTime > cond.passTime, () => `${where}: expired at ${c.expireTime} yet waiting after the pass at ${cond.passTime}`);
    if (c.kind === 'TRAILING' && c.activated) {
      invariant(c.triggerPrice === trailingTrigger(c) && c.watchPrice === c.triggerPrice, () => `${where}: trailing trigger does not follow its best price`);
    } else if (c.kind === 'TRAILING') invariant(c.watchPrice === c.activationPrice, () => `${where}: unarmed trailing stop not watching its activation`);
    else invariant(c.watchPrice === c.triggerPrice && c.watchDirection === c.triggerDirection, () => `${where}: watches ${c.watchPrice}, triggers at ${c.triggerPrice}`);
    if (isLeg(c)) {
      // No conditional order references a missing position: a leg's position holds contracts on the side it protects.
      const position = core.findPosition(c.account, c.symbol, c.positionSide);
      invariant(position !== undefined && position.qty !== 0 && (position.qty > 0) === (c.side === 'SELL') && position.legs?.includes(c) === true,
        () => `${where}: a leg without the position it protects`);
      invariant(c.tpslMode === 'FULL' ? c.qty === 0 : c.qty >= 1 && c.qty <= Math.abs(position.qty), () => `${where}: leg quantity ${c.qty}`);
    }
    if (c.partnerId !== null) {
      const partner = cond.waiting.get(c.partnerId);
      invariant(partner === undefined || partner.partnerId === c.id || partner.tpslMode === 'FULL', () => `${where}: partner ${c.partnerId} is paired elsewhere`);
    }
  }
}
