/**
 * Frames encoded once per event, whatever the number of sockets that send them: a dialect encoder
 * keeps its frames on the event object (weakly, so they go when the event does).
 */
import type { EngineEvent } from '../engine/types.js';

export class FrameMemo<F> {
  private readonly frames = new WeakMap<EngineEvent, F>();

  /** The frames for `event`, built by `build` the first time they are asked for. */
  get(event: EngineEvent, build: () => F): F {
    let frames = this.frames.get(event);
    if (frames === undefined) {
      frames = build();
      this.frames.set(event, frames);
    }
    return frames;
  }
}
