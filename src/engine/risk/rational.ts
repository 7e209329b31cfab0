/**
 * The risk formulas' rationals are the engine's one fraction type (../rational.ts); this module
 * only keeps the import path the risk modules and their tests use.
 */
export { ceilOf, compare, floorOf, ratio, scaleCeil, scaleFloor, type Rational } from '../rational.js';
