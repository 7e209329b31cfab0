/**
 * Property test of the inverse-and-delivery streams (generator.ts kindsScenarioFor): the linear
 * perpetuals plus btc_usd (inverse perpetual), btc_usdt270326 and btc_usd270326 (quarterlies),
 * accounts funded in USDT and BTC, index prices, funding (paid in BTC on btc_usd, refused on the
 * delivery symbols) and, in odd seeds, the delivery time crossed and both quarterlies settled.
 *
 * The reference model does not model inverse or delivery contracts, so these streams are NOT
 * compared with it (engine-vs-reference.test.ts runs the linear streams). They are checked after
 * every command by the engine's own audit (money per asset in 10⁻¹⁶ with the rounding dust, books,
 * allocation, risk index), by the view invariants of support.ts computed independently from the
 * view (money per asset with the inverse entry-cost term and the dust, Σ qty 0 per symbol, no
 * crossed book), by the event invariants (gap-free seqs, silent refusals, every change has its
 * event and the last event equals the state), and by the delivery rules: from the delivery time on,
 * no order, amendment or conditional on a delivery symbol is accepted; once settled, the symbol
 * has no open position, live order or waiting conditional order. replay.test.ts replays the same
 * streams (state hash, snapshot → restore). The coverage of the new paths is asserted
 * (coverage.ts kindsCoverageShortfalls).
 *
 *   PERPSTREAM_PROPERTY_SEEDS=<n>     number of seeds, 1..n (at most KINDS_SEEDS, the default)
 *   PERPSTREAM_KINDS_SEEDS=<n>        number of seeds, 1..n, uncapped (a wider sweep)
 *   PERPSTREAM_PROPERTY_COMMANDS=<n>  commands per seed (default 2000)
 *   PERPSTREAM_PROPERTY_SEED=<s>      run only seed s (to reproduce a failure)
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine.js';
import { MARCH_2027_DELIVERY } from '../../src/engine/demo-symbols.js';
import type { Command, EngineEvent } from '../../src/engine/types.js';
import type { StateView } from '../../src/engine/view.js';
import { generateCommands } from './generator.js';
import { Coverage, EventChecker, eventStateViolations, fmt, viewInvariantViolations, failAt } from './support.js';
import { kindsCoverageShortfalls } from './coverage.js';
import { deliveryCloseOf, deliveryPriceOf, readDeliveryRules, type DeliveryRules } from '../reference/symbol-rules.js';

/** Seeds by default: each runs two engines (the generator's and the one under test) and the view checks. */
export const KINDS_SEEDS = 4;

export function kindsSeeds(): number[] {
  const single = process.env.PERPSTREAM_PROPERTY_SEED;
  if (single !== undefined && single !== '') return [Number(single)];
  // Capped like replay.test.ts (a suite that asks for 20 linear seeds gets 4 of these); PERPSTREAM_KINDS_SEEDS asks for more.
  const wide = process.env.PERPSTREAM_KINDS_SEEDS;
  const count = wide !== undefined && wide !== '' ? Number(wide) : Math.min(KINDS_SEEDS, Number(process.env.PERPSTREAM_PROPERTY_SEEDS ?? KINDS_SEEDS));
  return Array.from({ length: count }, (_, i) => i + 1);
}

const count = Number(process.env.PERPSTREAM_PROPERTY_COMMANDS ?? 2000);
const coverage = new Coverage();
let failedSeeds = 0;

/** Commands a delivery symbol refuses from its delivery time on (rules: Delivery, "Trading stops"). */
const STOPPED = new Set<Command['type']>(['placeOrder', 'amendOrder', 'placeConditional', 'amendConditional', 'setPositionTpsl']);

function runSeed(seed: number): void {
  const { scenario, commands } = generateCommands(seed, count, true);
  const inverse = new Set(scenario.symbols.filter((s) => s.underlyingType === 'COIN_BASED').map((s) => s.symbol));
  const delivery = new Set(scenario.symbols.filter((s) => s.contractType === 'DELIVERY').map((s) => s.symbol));
  const engine = new Engine({ symbols: [...scenario.symbols], ...scenario.engineOptions });
  const events = new EventChecker();
  const history: string[] = [];
  let previousView = engine.view();
  const deliveryRules = new Map(scenario.symbols.flatMap((s) => {
    const rules = readDeliveryRules(s);
    return rules === null ? [] : [[s.symbol, rules] as const];
  }));
  /** The accepted index changes of each delivery symbol, in order: what its delivery price averages. */
  const indexChanges = new Map<string, { time: number; price: number }[]>([...deliveryRules.keys()].map((symbol) => [symbol, []]));

  commands.forEach((cmd, index) => {
    history.push(`#${index} ${fmt(cmd)}`);
    const fail = (what: string): never => failAt(`kinds seed ${seed}, command #${index} (cmdSeq ${index + 1}) — reproduce with PERPSTREAM_PROPERTY_SEED=${seed} node --test dist/test/property/kinds.test.js`, scenario, cmd, history, what);

    let applied: ReturnType<Engine['apply']>;
    try {
      applied = engine.apply(cmd);
    } catch (error) {
      return fail(`engine.apply threw: ${String(error)}`);
    }
    coverage.record(cmd, applied.result, applied.events);
    coverage.recordKinds(cmd, applied.result, applied.events, inverse, delivery);

    const eventProblems = events.check(cmd, applied.cmdSeq, index + 1, applied.result, applied.events);
    if (eventProblems.length > 0) fail(`event invariants:\n  ${eventProblems.join('\n  ')}`);
    try {
      engine.audit();
    } catch (error) {
      fail(`engine.audit() failed: ${String(error)}`);
    }

    const view = engine.view();
    const negativeBefore = new Set(previousView.accounts.flatMap((a) => a.wallets.filter((w) => w.availableBalance < 0n).map((w) => `${a.accountId}|${w.asset}`)));
    // Funding may leave a wallet negative (rules: Funding settlement); a liquidation never does, inverse
    // legs taken over in several fills included (their PnL is rounded once: risk/round-once.ts).
    const violations = viewInvariantViolations(view, scenario.symbols, (key) => cmd.type === 'settleFunding' || negativeBefore.has(key));
    if (violations.length > 0) fail(`view invariants:\n  ${violations.join('\n  ')}`);
    const eventStateProblems = eventStateViolations(previousView, view, applied.events);
    if (eventStateProblems.length > 0) fail(`events against the state:\n  ${eventStateProblems.join('\n  ')}`);

    // Delivery: trading stops at the delivery time (a retried client order id is answered with the
    // order it placed before, as on any symbol: no new order); a settled symbol holds nothing.
    const duplicate = applied.result.ok && (applied.result.kind === 'order' || applied.result.kind === 'conditional') && applied.result.duplicate === true;
    if ('symbol' in cmd && cmd.symbol !== undefined && delivery.has(cmd.symbol) && STOPPED.has(cmd.type) && cmd.time >= MARCH_2027_DELIVERY && applied.result.ok && !duplicate) {
      fail(`${cmd.type} on ${cmd.symbol} accepted at ${cmd.time}, at or after the delivery time ${MARCH_2027_DELIVERY}`);
    }
    for (const symbol of delivery) {
      if (engine.prices(symbol, cmd.time)?.delivery?.settledPrice == null) continue;
      const left = view.accounts.flatMap((a) => [
        ...a.positions.filter((p) => p.symbol === symbol && p.qty !== 0).map((p) => `account ${a.accountId} position ${p.positionSide} ${p.qty}`),
        ...a.orders.filter((o) => o.symbol === symbol).map((o) => `account ${a.accountId} order ${o.orderId}`),
        ...a.conditionals.filter((c) => c.symbol === symbol).map((c) => `account ${a.accountId} conditional ${c.conditionalId}`),
      ]);
      if (left.length > 0) fail(`${symbol} is settled but holds ${left.join(', ')}`);
    }
    if (cmd.type === 'settleDelivery' && applied.result.ok && cmd.time < MARCH_2027_DELIVERY) fail(`settleDelivery accepted before the delivery time`);
    if (cmd.type === 'setIndexPrice' && applied.result.ok) indexChanges.get(cmd.symbol)?.push({ time: cmd.time, price: cmd.price });
    if (cmd.type === 'settleDelivery' && applied.result.ok) {
      const problems = deliveryProblems(cmd.symbol, deliveryRules.get(cmd.symbol)!, indexChanges.get(cmd.symbol)!, previousView, applied.events);
      const settledPrice = engine.prices(cmd.symbol, cmd.time)?.delivery?.settledPrice ?? null;
      if (problems.expectedPrice !== null && settledPrice !== problems.expectedPrice) problems.list.push(`settled at ${settledPrice}, the rules give ${problems.expectedPrice}`);
      if (problems.list.length > 0) fail(`delivery against the rules' arithmetic (symbol-rules.ts):\n  ${problems.list.join('\n  ')}`);
    }
    previousView = view;
  });
}

/**
 * A settlement's delivery events against the rules' arithmetic, computed independently of the engine
 * (test/reference/symbol-rules.ts): the price from the stream's index changes, and per position open
 * before it (qty and entry cost from the view) the realized PnL and the fee; one event per position.
 */
function deliveryProblems(
  symbol: string, rules: DeliveryRules, index: readonly { time: number; price: number }[], before: StateView, emitted: readonly EngineEvent[],
): { expectedPrice: number | null; list: string[] } {
  const book = before.books.find((b) => b.symbol === symbol)!;
  const price = deliveryPriceOf(rules, index, book.markPrice ?? book.lastPrice);
  const list: string[] = [];
  const open = before.accounts.flatMap((a) => a.positions.filter((p) => p.symbol === symbol && p.qty !== 0).map((p) => ({ accountId: a.accountId, p })));
  const deliveries = emitted.flatMap((e) => (e.type === 'delivery' ? [e] : []));
  if (deliveries.length !== open.length) list.push(`${deliveries.length} delivery events for ${open.length} open positions`);
  for (const e of deliveries) {
    const held = open.find((x) => x.accountId === e.accountId && x.p.positionSide === e.positionSide);
    if (held === undefined) {
      list.push(`delivery event of account ${e.accountId} ${e.positionSide}, which held no position`);
      continue;
    }
    const want = { qty: held.p.qty, deliveryPrice: price, ...deliveryCloseOf(rules, held.p.qty, held.p.entryCost, price!) };
    const got = { qty: e.qty, deliveryPrice: e.deliveryPrice, realizedPnl: e.realizedPnl, fee: e.fee };
    if (fmt(got) !== fmt(want)) list.push(`account ${e.accountId} ${e.positionSide} (entry cost ${held.p.entryCost}): engine ${fmt(got)}, rules ${fmt(want)}`);
  }
  return { expectedPrice: price, list };
}

const seeds = kindsSeeds();


test('the view invariants count an inverse position\'s entry cost and the rounding dust (a one-unit error is seen)', () => {
  const { scenario, commands } = generateCommands(2, 600, true);
  const engine = new Engine({ symbols: [...scenario.symbols], ...scenario.engineOptions });
  for (const cmd of commands) engine.apply(cmd);
  const view = engine.view();
  assert.deepEqual(viewInvariantViolations(view, scenario.symbols, () => true), []);
  const holder = view.accounts.find((a) => a.positions.some((p) => p.symbol === 'btc_usd' && p.qty !== 0));
  assert.ok(holder, 'kinds seed 2 holds a btc_usd position by command 600');
  const bumped = {
    ...view,
    accounts: view.accounts.map((a) => (a !== holder ? a : {
      ...a, positions: a.positions.map((p) => (p.symbol === 'btc_usd' && p.qty !== 0 ? { ...p, entryCost: p.entryCost + 1n } : p)),
    })),
  };
  assert.match(viewInvariantViolations(bumped, scenario.symbols, () => true).join('\n'), /money BTC .*off by (-)?1\)/);
  const dusty = { ...view, roundingDust: [...view.roundingDust.filter((d) => d.asset !== 'BTC'), { asset: 'BTC', amount: (view.roundingDust.find((d) => d.asset === 'BTC')?.amount ?? 0n) + 1n }] };
  assert.match(viewInvariantViolations(dusty, scenario.symbols, () => true).join('\n'), /money BTC .*off by 1\)/);
});

for (const seed of seeds) {
  test(`inverse and delivery stream keeps the invariants: seed ${seed}, ${count} commands`, () => {
    try {
      runSeed(seed);
    } catch (error) {
      failedSeeds += 1;
      throw error;
    }
  });
}

test(`inverse and delivery coverage over ${seeds.length} seed(s) × ${count} commands`, (t) => {
  if (failedSeeds > 0) {
    t.skip('a seed failed');
    return;
  }
  const shortfalls = kindsCoverageShortfalls(coverage, seeds.length, count);
  if (shortfalls === null) {
    t.diagnostic('below the smoke size: coverage not asserted');
    return;
  }
  assert.deepEqual(shortfalls, [], `inverse and delivery coverage below its stated minimum:\n  ${shortfalls.join('\n  ')}`);
});

after(() => {
  console.log(coverage.format(`inverse and delivery coverage over ${seeds.length} seed(s) × ${count} commands (engine results and events):`));
});
