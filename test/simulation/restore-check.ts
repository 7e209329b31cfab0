/**
 * `node dist/test/simulation/restore-check.js FILE SEED`: for a command log written by
 * `npm run sim -- --seed SEED --dump DIR`, finds the first point where an engine restored from a
 * snapshot there continues with other events than the uninterrupted engine (what recovery relies
 * on never happening). Narrows a simulation failure such as "replayed with other events" or "the
 * service's events differ" down to a snapshot point and a command, without the simulator.
 *
 * `npm test` runs every file under dist/test, this one too: started by the test runner
 * (NODE_TEST_CONTEXT is set) it does nothing.
 */
import { readFileSync } from 'node:fs';
import { Engine } from '../../src/engine/engine.js';
import type { Command } from '../../src/engine/types.js';
import { decodeJson, encodeJson } from '../../src/persistence/codec.js';
import { scenarioFor } from '../property/generator.js';

function main(): void {
  const [file, seedText] = process.argv.slice(2);
  if (file === undefined || seedText === undefined) throw new Error('usage: node dist/test/simulation/restore-check.js <commands.json> <seed>');
  const commands = decodeJson<Command[]>(readFileSync(file, 'utf8'));
  const scenario = scenarioFor(Number(seedText));
  const options = { symbols: [...scenario.symbols], ...scenario.engineOptions };

  const uninterrupted = new Engine(options);
  const expected = commands.map((command) => encodeJson(uninterrupted.apply(command).events));

  const running = new Engine(options);
  for (let at = 0; at < commands.length; at++) {
    // Restored after `at` commands, through the same JSON round trip a snapshot file makes.
    const restored = Engine.restore(options, decodeJson(encodeJson(running.snapshot())));
    for (let i = at; i < commands.length; i++) {
      if (encodeJson(restored.apply(commands[i]!).events) !== expected[i]) {
        console.log(`restored after command ${at}, the engine differs at command ${i + 1} (${commands[i]!.type}); command ${at}: ${encodeJson(commands[at - 1] ?? null)}`);
        process.exit(1);
      }
    }
    running.apply(commands[at]!);
  }
  console.log(`${commands.length} commands: every restore point continues exactly like the uninterrupted engine`);
}

if (process.env.NODE_TEST_CONTEXT === undefined) main();
