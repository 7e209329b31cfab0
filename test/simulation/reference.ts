/**
 * The uninterrupted run: one engine that never crashes, fed every command the service applied, in
 * sequence order, exactly once. The live service tells it each command it applies — live, or
 * replayed at recovery (Exchange.appliedTaps) — and the reference:
 * - applies a command it has not seen (the next seq) and checks the service's events are its own;
 * - checks a replayed command (a seq it has) is the very command, with the very events, it saw the
 *   first time: recovery reproduced history instead of inventing a new one;
 * - refuses a gap (a seq past the next one).
 * It also keeps every account's events by seq, which the clients' streams are checked against, and
 * the money that came in and went out, which the conservation check is checked against.
 */
import { createHash } from 'node:crypto';
import { Engine, type Applied, type EngineOptions } from '../../src/engine/engine.js';
import type { Command, EngineEvent } from '../../src/engine/types.js';
import { encodeJson } from '../../src/persistence/codec.js';
import { describeDifference, firstDifference } from '../property/support.js';

const digest = (value: unknown): string => createHash('sha1').update(encodeJson(value)).digest('hex');

const NOTABLE_REASONS: ReadonlySet<string> = new Set(['LIQUIDATION', 'ADL', 'FUNDING_FEE', 'AUTO_DEPOSIT']);

export class Reference {
  readonly engine: Engine;
  /** Per command (index seq − 1): the command as JSON and its events' digest. */
  private readonly commands: { json: string; events: string }[] = [];
  /** Per account, its events as JSON (index seq − 1). */
  private readonly events = new Map<number, string[]>();
  /** Deposits − withdrawals accepted, per asset, insurance-fund deposits apart. */
  readonly moneyIn = new Map<string, bigint>();
  readonly insuranceIn = new Map<string, bigint>();
  /** Events with a notable reason (coverage: funding fees, liquidations, ADL, auto-add margin). */
  readonly eventKinds = new Map<string, number>();
  /** Accepted / refused commands per type (coverage). */
  readonly outcomes = new Map<string, { accepted: number; refused: number }>();

  constructor(options: EngineOptions) {
    this.engine = new Engine(options);
  }

  get cmdSeq(): number {
    return this.engine.cmdSeq;
  }

  /** A command the service applied; returns what is wrong with it, or null. */
  observe(applied: Applied, command: Command): string | null {
    const seq = applied.cmdSeq;
    if (seq <= this.engine.cmdSeq) {
      const seen = this.commands[seq - 1]!;
      if (encodeJson(command) !== seen.json) return `command ${seq} replayed as ${encodeJson(command)}, but it was ${seen.json}`;
      if (digest(applied.events) !== seen.events) return `command ${seq} (${command.type}) replayed with other events than it first had`;
      return null;
    }
    if (seq !== this.engine.cmdSeq + 1) return `command ${seq} applied after command ${this.engine.cmdSeq}: commands ${this.engine.cmdSeq + 1}…${seq - 1} are missing`;
    const mine = this.engine.apply(command);
    const events = digest(applied.events);
    this.commands.push({ json: encodeJson(command), events });
    if (digest(mine.events) !== events) {
      const d = firstDifference(applied.events, mine.events, '$events');
      return `command ${seq} (${command.type}): the service's events differ from the uninterrupted run's` +
        (d === null ? '' : `\n${describeDifference(d, applied.events, mine.events)}`);
    }
    if (digest(mine.result) !== digest(applied.result)) return `command ${seq} (${command.type}): the service's result differs from the uninterrupted run's`;
    for (const event of mine.events) {
      this.record(event);
      if (NOTABLE_REASONS.has(event.reason)) this.eventKinds.set(event.reason, (this.eventKinds.get(event.reason) ?? 0) + 1);
    }
    this.tally(command, mine);
    return null;
  }

  /** Every command applied so far, in order, as JSON (to reproduce a failure outside the simulator). */
  commandLog(): string[] {
    return this.commands.map((c) => c.json);
  }

  /** The account's event `seq` as JSON, as the uninterrupted run emitted it. */
  event(accountId: number, seq: number): string | undefined {
    return this.events.get(accountId)?.[seq - 1];
  }

  private record(event: EngineEvent): void {
    let list = this.events.get(event.accountId);
    if (list === undefined) this.events.set(event.accountId, (list = []));
    list[event.seq - 1] = encodeJson(event);
  }

  private tally(command: Command, applied: Applied): void {
    const outcome = this.outcomes.get(command.type) ?? { accepted: 0, refused: 0 };
    if (applied.result.ok) outcome.accepted += 1;
    else outcome.refused += 1;
    this.outcomes.set(command.type, outcome);
    if (!applied.result.ok) return;
    const add = (map: Map<string, bigint>, asset: string, amount: bigint) => map.set(asset, (map.get(asset) ?? 0n) + amount);
    if (command.type === 'deposit') add(this.moneyIn, command.asset, command.amount);
    if (command.type === 'withdraw') add(this.moneyIn, command.asset, -command.amount);
    if (command.type === 'depositInsurance') add(this.insuranceIn, command.asset, command.amount);
  }
}
