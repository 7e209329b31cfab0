/**
 * The public feed against the engine's own book, on the generated command streams: a client that
 * starts from an empty book and applies every book update (absolute level totals, 0 removes the
 * level) holds exactly the engine's aggregated book after every command; update ids are
 * consecutive per symbol and equal the id the depth snapshot reports; a client that joins late
 * (snapshot at some command, then the updates after it) converges too; every public trade is the
 * maker and taker fills of one trade id, at its price and quantity, with the taker's side.
 *
 * Seeds as the other property tests (PERPSTREAM_PROPERTY_SEED, PERPSTREAM_PROPERTY_SEEDS,
 * PERPSTREAM_PROPERTY_COMMANDS), at most 5 by default.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import type { BookUpdateEvent, TradeEvent } from '../../src/engine/types.js';
import { generateCommands } from './generator.js';
import { fmt } from './support.js';

function seeds(): number[] {
  const single = process.env.PERPSTREAM_PROPERTY_SEED;
  if (single !== undefined && single !== '') return [Number(single)];
  const count = Math.min(5, Number(process.env.PERPSTREAM_PROPERTY_SEEDS ?? 5));
  return Array.from({ length: count }, (_, i) => i + 1);
}

const count = Number(process.env.PERPSTREAM_PROPERTY_COMMANDS ?? 2000);

/** A client's copy of one symbol's book: price → total per side, and the last update id applied. */
class ClientBook {
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();
  updateId = 0;

  static from(depth: { updateId: number; bids: [number, number][]; asks: [number, number][] }): ClientBook {
    const book = new ClientBook();
    for (const [price, qty] of depth.bids) book.bids.set(price, qty);
    for (const [price, qty] of depth.asks) book.asks.set(price, qty);
    book.updateId = depth.updateId;
    return book;
  }

  apply(update: BookUpdateEvent): void {
    for (const [side, levels] of [[this.bids, update.bids], [this.asks, update.asks]] as const) {
      for (const [price, qty] of levels) {
        if (qty === 0) side.delete(price);
        else side.set(price, qty);
      }
    }
    this.updateId = update.updateId;
  }

  sorted(): { bids: [number, number][]; asks: [number, number][] } {
    return { bids: [...this.bids].sort((a, b) => b[0] - a[0]), asks: [...this.asks].sort((a, b) => a[0] - b[0]) };
  }
}

for (const seed of seeds()) {
  test(`public book updates rebuild the engine's book after every command: seed ${seed}, ${count} commands`, () => {
    const { scenario, commands } = generateCommands(seed, count);
    const engine = new Engine({ symbols: [...scenario.symbols], ...scenario.engineOptions });
    const symbols = scenario.symbols.map((s) => s.symbol);
    const fromStart = new Map(symbols.map((symbol) => [symbol, new ClientBook()]));
    const late = new Map<string, ClientBook>();
    let updates = 0;
    let trades = 0;
    commands.forEach((cmd, i) => {
      const where = `seed ${seed} (PERPSTREAM_PROPERTY_SEED=${seed}), command #${i}: ${fmt(cmd)}`;
      // A late client takes its snapshot half-way, then follows the updates.
      if (i === Math.floor(commands.length / 2)) for (const symbol of symbols) late.set(symbol, ClientBook.from(engine.depth(symbol, Infinity)!));
      const applied = engine.apply(cmd);
      const fills = new Map<number, TradeEvent[]>();
      for (const e of applied.events) if (e.type === 'trade') fills.set(e.tradeId, [...(fills.get(e.tradeId) ?? []), e]);
      for (const event of applied.market) {
        if (event.type === 'book') {
          updates += 1;
          for (const client of [fromStart.get(event.symbol)!, late.get(event.symbol)]) {
            if (client === undefined) continue;
            assert.equal(event.updateId, client.updateId + 1, `${where}: update ids must be consecutive`);
            client.apply(event);
          }
        } else {
          trades += 1;
          const pair = fills.get(event.tradeId) ?? [];
          assert.equal(pair.length, 2, `${where}: public trade ${event.tradeId} must be one maker and one taker fill`);
          const taker = pair.find((t) => !t.isMaker)!;
          assert.deepEqual([event.price, event.qty, event.takerSide, event.symbol], [taker.price, taker.qty, taker.side, taker.symbol], where);
        }
      }
      for (const symbol of symbols) {
        const depth = engine.depth(symbol, Infinity)!;
        const expected = { bids: depth.bids, asks: depth.asks };
        assert.deepEqual(fromStart.get(symbol)!.sorted(), expected, `${where}: ${symbol} book from the updates`);
        assert.equal(fromStart.get(symbol)!.updateId, depth.updateId, `${where}: ${symbol} update id`);
        const lateBook = late.get(symbol);
        if (lateBook !== undefined) assert.deepEqual(lateBook.sorted(), expected, `${where}: ${symbol} book of the late client`);
      }
    });
    assert.ok(updates > 0 && trades > 0, `seed ${seed}: the stream must both change the book and trade`);
  });
}
