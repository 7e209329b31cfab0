/**
 * Seeded, reproducible properties of the risk engine (risk.md §6 "Property tests"):
 *
 * - at the liquidation price equity equals maintenance margin, exactly, with the tier the price falls
 *   in (every mode: isolated, cross one-way with other symbols, cross hedge);
 * - the liquidation price is monotonic in the wallet balance (also after rounding);
 * - random liquidation streams through the engine: money is conserved including the insurance
 *   fund (the audit after every command), after a mark tick no unit holding that symbol is left
 *   liquidatable and the warnings in force are exactly the units in the warning zone (checked from
 *   the view, independently of the index), the insurance fund moves only by liquidation clearances
 *   (never by ADL), and replay and snapshot/restore reproduce the same state.
 *
 *   PERPSTREAM_RISK_SEEDS=<n> (default 12), PERPSTREAM_RISK_COMMANDS=<n> (default 400),
 *   PERPSTREAM_RISK_SEED=<s> to run one seed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from '../../src/engine/engine.js';
import { buildSymbolConfig, maintenanceMargin, type SymbolSpec } from '../../src/engine/symbol.js';
import { liquidationPoint, unitsPerTick, type Leg } from '../../src/engine/risk/liquidation-price.js';
import { compare, scaleCeil, scaleFloor } from '../../src/engine/risk/rational.js';
import type { Command, EngineEvent, PositionMode, PositionSide } from '../../src/engine/types.js';
import type { StateView } from '../../src/engine/view.js';
import { Rng } from '../property/generator.js';
import { fmt } from '../property/support.js';
import { gapAt, spec, usdt } from './support.js';
import type { Cmd } from '../engine/helpers.js';

const RS = 100_000_000n;

function seeds(): number[] {
  const single = process.env.PERPSTREAM_RISK_SEED;
  if (single !== undefined && single !== '') return [Number(single)];
  return Array.from({ length: Number(process.env.PERPSTREAM_RISK_SEEDS ?? 12) }, (_, i) => i + 1);
}
const COMMANDS = Number(process.env.PERPSTREAM_RISK_COMMANDS ?? 400);

/** Random tiers with exact maintenance amounts: floors on a round grid, rates in 0.25 % steps. */
function randomTiers(rng: Rng): SymbolSpec['tiers'] {
  const count = rng.int(1, 5);
  const tiers: SymbolSpec['tiers'] = [];
  let floor = 0;
  let rate = rng.int(1, 4) * 25; // basis points × 10: 0.25 % … 1 %
  let leverage = 100;
  for (let i = 0; i < count; i++) {
    tiers.push({ notionalFloor: String(floor), maintenanceMarginRate: (rate / 10_000).toString(), maxLeverage: leverage });
    floor += rng.int(1, 20) * 1000;
    rate += rng.int(0, 4) * 25;
    leverage = Math.max(1, Math.floor(leverage / 2));
  }
  return tiers;
}

function randomLegs(rng: Rng, mode: 'isolated' | 'oneway' | 'hedge'): Leg[] {
  const leg = (sign: 1n | -1n): Leg => {
    const qty = BigInt(rng.int(1, 400));
    return { sign, qty, entryCost: qty * BigInt(rng.int(500, 1500)) };
  };
  if (mode === 'hedge') return [leg(1n), leg(-1n)];
  return [leg(rng.chance(0.5) ? 1n : -1n)];
}

describe('liquidation price: exact properties (every mode)', () => {
  for (const seed of seeds()) {
    test(`seed ${seed}: equity = MM at the LP with the tier the LP falls in; LP monotonic in WB`, () => {
      const rng = new Rng(seed * 7919);
      for (let round = 0; round < 200; round++) {
        const contractSize = rng.pick(['1', '0.1', '0.01']);
        const config = buildSymbolConfig(spec({ tiers: randomTiers(rng), contractSize, maxLeverage: 100 }));
        const k = config.valuePerTickContract;
        const mode = rng.pick(['isolated', 'oneway', 'hedge'] as const);
        const legs = randomLegs(rng, mode);
        const value = legs.reduce((s, l) => s + l.entryCost, 0n) * k;
        // Isolated: the margin; cross: the wallet plus other symbols' PnL (may be negative) and their maintenance.
        const equityBase = (value * BigInt(rng.int(1, 60))) / 100n + (mode === 'isolated' ? 0n : BigInt(rng.int(-20, 20)) * usdt('1'));
        const maintenanceBase = mode === 'isolated' ? 0n : BigInt(rng.int(0, 10)) * usdt('1');
        const inputs = { config, legs, equityBase, maintenanceBase };
        const where = `seed ${seed} round ${round}: ${fmt({ tiers: config.tiers, legs, equityBase, maintenanceBase, k })}`;
        const lp = liquidationPoint(inputs, null);
        if (lp !== null) {
          assert.equal(gapAt(k, config.tiers, legs, equityBase, maintenanceBase, lp.point.n, lp.point.d), 0n, `${where}: equity ≠ MM at the LP`);
          // Just inside (a hundredth of a tick toward safety) equity exceeds MM; just outside it does not.
          const step = lp.isLower ? 1n : -1n;
          const inside = { n: lp.point.n * 100n + step * lp.point.d, d: lp.point.d * 100n };
          const outside = { n: lp.point.n * 100n - step * lp.point.d, d: lp.point.d * 100n };
          if (outside.n > 0n) assert.ok(gapAt(k, config.tiers, legs, equityBase, maintenanceBase, outside.n, outside.d) < 0n, `${where}: safe beyond the LP`);
          assert.ok(gapAt(k, config.tiers, legs, equityBase, maintenanceBase, inside.n, inside.d) > 0n, `${where}: liquidated inside the LP`);
        }
        // Monotonic in WB: more wallet moves a lower LP down and an upper LP up (or makes it disappear).
        const richer = liquidationPoint({ ...inputs, equityBase: equityBase + BigInt(rng.int(1, 1000)) * usdt('1') }, null);
        if (lp !== null && richer !== null && richer.isLower === lp.isLower) {
          const c = compare(richer.point, lp.point);
          assert.ok(lp.isLower ? c <= 0 : c >= 0, `${where}: LP not monotonic in WB`);
          const perTick = unitsPerTick(config);
          const shown = (p: typeof lp) => (p.isLower ? scaleCeil(p.point, perTick) : scaleFloor(p.point, perTick));
          assert.ok(lp.isLower ? shown(richer) <= shown(lp) : shown(richer) >= shown(lp), `${where}: rounded LP not monotonic in WB`);
        }
        if (lp === null && richer !== null && legs.length === 1) {
          assert.fail(`${where}: a poorer position had no LP but a richer one has`);
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Random liquidation streams through the engine

const TIERS_A: SymbolSpec['tiers'] = [
  { notionalFloor: '0', maintenanceMarginRate: '0.01', maxLeverage: 50 },
  { notionalFloor: '10000', maintenanceMarginRate: '0.02', maxLeverage: 25 },
  { notionalFloor: '50000', maintenanceMarginRate: '0.05', maxLeverage: 10 },
];
const TIERS_B: SymbolSpec['tiers'] = [
  { notionalFloor: '0', maintenanceMarginRate: '0.005', maxLeverage: 100 },
  { notionalFloor: '5000', maintenanceMarginRate: '0.01', maxLeverage: 50 },
];
const SYMBOLS: SymbolSpec[] = [
  spec({ symbol: 'aaa_usdt', tiers: TIERS_A, maxLeverage: 50, tickSize: '0.1', contractSize: '0.1', priceBandRate: '0.2', maxPriceTicks: 100_000_000 }),
  spec({ symbol: 'bbb_usdt', tiers: TIERS_B, maxLeverage: 100, makerFeeRate: '0.0002', takerFeeRate: '0.0005', priceBandRate: '0.2' }),
];
/** Centre prices in ticks: 1,000.0 and 100. */
const CENTRE: Record<string, number> = { aaa_usdt: 10_000, bbb_usdt: 100 };

interface Trader {
  id: number;
  mode: PositionMode;
}

class RiskStream {
  readonly rng: Rng;
  readonly commands: Command[] = [];
  readonly engine: Engine;
  time = 1_000_000;
  marks: Record<string, number> = { ...CENTRE };
  readonly traders: Trader[] = [];
  readonly makers: number[] = [];

  constructor(readonly seed: number) {
    this.rng = new Rng(seed * 104_729);
    this.engine = new Engine({ symbols: SYMBOLS, adlRankIntervalMs: 30_000 });
  }

  apply(cmd: Cmd): ReturnType<Engine['apply']> {
    const command = { ...cmd, time: this.time } as Command;
    this.time += 1000;
    this.commands.push(command);
    return this.engine.apply(command);
  }

  setup(): void {
    for (let i = 0; i < 2; i++) {
      this.apply({ type: 'createAccount' });
      const id = this.engine.view().accounts.length;
      this.makers.push(id);
      this.apply({ type: 'deposit', accountId: id, asset: 'USDT', amount: usdt('10000000') });
      for (const s of SYMBOLS) this.apply({ type: 'setLeverage', accountId: id, symbol: s.symbol, leverage: 2 });
    }
    for (let i = 0; i < 8; i++) {
      this.apply({ type: 'createAccount' });
      const id = this.engine.view().accounts.length;
      const mode: PositionMode = this.rng.chance(0.5) ? 'HEDGE' : 'ONE_WAY';
      this.traders.push({ id, mode });
      if (mode === 'HEDGE') this.apply({ type: 'setPositionMode', accountId: id, positionMode: 'HEDGE' });
      this.apply({ type: 'deposit', accountId: id, asset: 'USDT', amount: usdt(String(this.rng.int(200, 3000))) });
      for (const s of SYMBOLS) {
        if (this.rng.chance(0.5)) this.apply({ type: 'setMarginMode', accountId: id, symbol: s.symbol, marginMode: 'ISOLATED' });
        this.apply({ type: 'setLeverage', accountId: id, symbol: s.symbol, leverage: this.rng.int(2, 25) });
      }
    }
    for (const s of SYMBOLS) this.apply({ type: 'setMarkPrice', symbol: s.symbol, price: CENTRE[s.symbol]! });
  }

  /** Makers quote a few levels both sides around the mark (after cancelling their previous quotes). */
  quote(symbol: string): void {
    const mark = this.marks[symbol]!;
    for (const maker of this.makers) {
      this.apply({ type: 'cancelAll', accountId: maker, symbol });
      for (let level = 1; level <= 3; level++) {
        const gap = Math.max(1, Math.floor((mark * level * this.rng.int(2, 20)) / 1000));
        for (const side of ['BUY', 'SELL'] as const) {
          if (this.rng.chance(0.3)) continue;
          this.apply({
            type: 'placeOrder', accountId: maker, symbol, side, positionSide: 'BOTH', orderType: 'LIMIT', timeInForce: 'GTC',
            price: side === 'BUY' ? Math.max(1, mark - gap) : mark + gap, qty: this.rng.int(1, 40), reduceOnly: false,
          });
        }
      }
    }
  }

  trade(): void {
    const trader = this.rng.pick(this.traders);
    const symbol = this.rng.pick(SYMBOLS).symbol;
    const side = this.rng.chance(0.5) ? 'BUY' as const : 'SELL' as const;
    const positionSide: PositionSide = trader.mode === 'ONE_WAY' ? 'BOTH' : this.rng.pick(['LONG', 'SHORT'] as const);
    this.apply({
      type: 'placeOrder', accountId: trader.id, symbol, side, positionSide, orderType: 'MARKET', timeInForce: 'IOC', price: 0,
      qty: this.rng.int(1, 60), reduceOnly: false,
    });
  }

  walk(): { symbol: string; events: readonly EngineEvent[] } {
    const symbol = this.rng.pick(SYMBOLS).symbol;
    const centre = CENTRE[symbol]!;
    const mark = this.marks[symbol]!;
    const jump = this.rng.chance(0.1) ? this.rng.int(-150, 150) : this.rng.int(-25, 25);
    const next = Math.min(centre * 2, Math.max(Math.ceil(centre / 2), mark + Math.round((mark * jump) / 1000)));
    this.marks[symbol] = next;
    return { symbol, events: this.apply({ type: 'setMarkPrice', symbol, price: next }).events };
  }

  other(): void {
    const trader = this.rng.pick(this.traders);
    const symbol = this.rng.pick(SYMBOLS).symbol;
    switch (this.rng.int(0, 4)) {
      case 0: this.apply({ type: 'depositInsurance', asset: 'USDT', amount: usdt(String(this.rng.int(1, 50))) }); break;
      case 1: this.apply({ type: 'deposit', accountId: trader.id, asset: 'USDT', amount: usdt(String(this.rng.int(10, 500))) }); break;
      case 2: this.apply({ type: 'withdraw', accountId: trader.id, asset: 'USDT', amount: usdt(String(this.rng.int(10, 300))) }); break;
      case 3: {
        const positionSide: PositionSide = trader.mode === 'ONE_WAY' ? 'BOTH' : this.rng.pick(['LONG', 'SHORT'] as const);
        this.apply({ type: 'setAutoDeposit', accountId: trader.id, symbol, positionSide, enabled: this.rng.chance(0.5) });
        break;
      }
      default: {
        const positionSide: PositionSide = trader.mode === 'ONE_WAY' ? 'BOTH' : this.rng.pick(['LONG', 'SHORT'] as const);
        this.apply({ type: 'adjustIsolatedMargin', accountId: trader.id, symbol, positionSide, amount: usdt(String(this.rng.int(-50, 50) || 1)) });
      }
    }
  }
}

/** Units (cross per account and asset, isolated per position) as the view shows them, with their exact state. */
function unitsOf(view: StateView, symbols: ReadonlyMap<string, ReturnType<typeof buildSymbolConfig>>) {
  const units: { key: string; symbols: Set<string>; equity: bigint; maintenance: bigint }[] = [];
  for (const account of view.accounts) {
    const wallet = account.wallets.find((w) => w.asset === 'USDT');
    const cross = { key: `${account.accountId}:USDT`, symbols: new Set<string>(), equity: wallet ? wallet.walletBalance - wallet.isolatedMargin : 0n, maintenance: 0n };
    for (const p of account.positions) {
      if (p.qty === 0) continue;
      const config = symbols.get(p.symbol)!;
      const mm = p.markPrice === 0 ? 0n : maintenanceMargin(config.tiers, BigInt(Math.abs(p.qty)) * BigInt(p.markPrice) * config.valuePerTickContract);
      const upnl = p.markPrice === 0 ? 0n : config.valuePerTickContract * (p.qty > 0 ? BigInt(p.qty * p.markPrice) - p.entryCost : p.entryCost - BigInt(-p.qty * p.markPrice));
      if (p.marginMode === 'ISOLATED') {
        units.push({ key: `${account.accountId}:${p.symbol}:${p.positionSide}`, symbols: new Set([p.symbol]), equity: p.margin + upnl, maintenance: mm });
      } else {
        cross.symbols.add(p.symbol);
        cross.equity += upnl;
        cross.maintenance += mm;
      }
    }
    if (cross.symbols.size > 0) units.push(cross);
  }
  return units;
}

describe('random liquidation streams through the engine', () => {
  const configs = new Map(SYMBOLS.map((s) => [s.symbol, buildSymbolConfig(s)]));
  const warnRate = 80_000_000n;

  for (const seed of seeds()) {
    test(`seed ${seed}: ${COMMANDS} commands — ledger with the fund, nothing due left after a tick, fund moved only by clearances, replay`, () => {
      const stream = new RiskStream(seed);
      stream.setup();
      let liquidations = 0;
      let adl = 0;
      let warnings = 0;
      let partials = 0;
      let autoDeposits = 0;
      let fundBefore = 0n;
      for (let i = 0; i < COMMANDS; i++) {
        const where = `seed ${seed} (PERPSTREAM_RISK_SEED=${seed}) command #${stream.commands.length}`;
        const roll = stream.rng.next();
        let tick: { symbol: string; events: readonly EngineEvent[] } | null = null;
        if (roll < 0.35) stream.trade();
        else if (roll < 0.55) stream.quote(stream.rng.pick(SYMBOLS).symbol);
        else if (roll < 0.9) tick = stream.walk();
        else stream.other();
        try {
          stream.engine.audit();
        } catch (error) {
          assert.fail(`${where}: audit failed: ${String(error)}`);
        }
        const view = stream.engine.view();
        const fundNow = view.risk.insuranceFund.find((f) => f.asset === 'USDT')?.amount ?? 0n;
        const last = stream.commands[stream.commands.length - 1]!;
        if (tick !== null) {
          const events = tick.events;
          liquidations += events.filter((e) => e.type === 'notice' && e.notice === 'LIQUIDATION').length;
          adl += events.filter((e) => e.type === 'trade' && e.source === 'ADL').length;
          warnings += events.filter((e) => e.type === 'notice' && e.notice === 'WARN').length;
          partials += events.filter((e) => e.type === 'notice' && e.notice === 'PARTIAL').length;
          autoDeposits += events.filter((e) => e.type === 'balance' && e.reason === 'AUTO_DEPOSIT').length;
          // The fund moves only by clearances (balance events of the liquidation with a wallet change), never by ADL.
          let clearances = 0n;
          for (const e of events) {
            if (e.type !== 'balance' || e.walletChange === 0n) continue;
            assert.equal(e.reason, 'LIQUIDATION', `${where}: a wallet change with reason ${e.reason} during a tick`);
            clearances -= e.walletChange;
          }
          assert.equal(fundNow - fundBefore, clearances, `${where}: the fund moved by other than the clearances`);
          // Nothing due is left on the ticked symbol; warnings in force are exactly the units in the zone.
          const warned = new Set(view.risk.warned);
          for (const unit of unitsOf(view, configs)) {
            if (!unit.symbols.has(tick.symbol)) continue;
            const liquidatable = unit.maintenance > 0n && unit.equity <= unit.maintenance;
            assert.ok(!liquidatable, `${where}: unit ${unit.key} is still liquidatable after the tick (${fmt(unit)})`);
            const zone = unit.maintenance > 0n && unit.maintenance * RS >= warnRate * unit.equity;
            assert.equal(warned.has(unit.key), zone, `${where}: unit ${unit.key} warning ${warned.has(unit.key)} but in the zone: ${zone} (${fmt(unit)})`);
          }
        } else if (last.type === 'depositInsurance') {
          assert.equal(fundNow - fundBefore, last.amount, `${where}: deposit into the fund`);
        } else {
          assert.equal(fundNow, fundBefore, `${where}: ${last.type} moved the insurance fund`);
        }
        fundBefore = fundNow;
      }
      // Determinism: the same commands into a fresh engine, and into one restored halfway.
      const replay = new Engine({ symbols: SYMBOLS, adlRankIntervalMs: 30_000 });
      const half = Math.floor(stream.commands.length / 2);
      stream.commands.slice(0, half).forEach((c) => replay.apply(c));
      const restored = Engine.restore({ symbols: SYMBOLS, adlRankIntervalMs: 30_000 }, replay.snapshot());
      for (const c of stream.commands.slice(half)) {
        const a = replay.apply(c);
        const b = restored.apply(c);
        assert.deepEqual(b.events, a.events, `seed ${seed}: a restored engine diverged at ${fmt(c)}`);
      }
      assert.equal(replay.stateHash(), stream.engine.stateHash(), `seed ${seed}: replay ends elsewhere`);
      assert.equal(restored.stateHash(), stream.engine.stateHash(), `seed ${seed}: restore + replay ends elsewhere`);
      // The streams must actually exercise the engine (over all seeds they do; one seed may be quiet).
      console.log(`seed ${seed}: ${warnings} warnings, ${autoDeposits} auto-deposits, ${partials} partial and ${liquidations} full liquidations, ${adl} ADL fills`);
    });
  }
});
