/**
 * Service-level errors the front doors answer in their own shapes. The persistence layer's
 * failures extend these, so a dialect never needs to know how durability is implemented.
 */

/**
 * A command could not be made durable (a disk failure): nothing was applied. The message says
 * whether to retry now or after a restart. Answered as "service unavailable" (HTTP 503).
 */
export class NotDurableError extends Error {
  override name = 'NotDurableError';
}
