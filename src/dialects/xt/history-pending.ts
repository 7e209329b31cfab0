/**
 * TEMPORARY (removed when the engine lands): the History methods the conditional-order contract
 * announces (docs: BRIEF, "Views"), declared so the XT dialect compiles against them beforehand.
 */
import type { ConditionalSnapshot } from '../../engine/types.js';

declare module '../../service/history.js' {
  interface History {
    finishedConditional(accountId: number, id: number): ConditionalSnapshot | undefined;
    finishedConditionals(accountId: number): ConditionalSnapshot[];
  }
}
