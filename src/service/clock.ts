/** Wall-clock time for the service layer (the engine itself only sees stamped command times). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
