/**
 * Where the scale-out keeps things in Redis, under one key prefix (several clusters can share a
 * Redis, and every test uses its own prefix):
 *
 *   <p>:epoch          the stream epoch the streams below belong to (the engine's data directory's)
 *   <p>:shards         how many account shards the event streams are split into
 *   <p>:ev:<shard>     account events of the accounts with accountId mod shards = shard (a stream)
 *   <p>:mk             public market events and the symbols' prices after them (a stream)
 *   <p>:published      the last command whose entries every stream holds (the publisher's restart point)
 *   <p>:cred:<store>   a stream credential store (hash: key → JSON entry)
 *   <p>:credlog        every change to those stores, in order (a stream the gateways follow)
 *
 * Entry ids of the event and market streams are `<cmdSeq>-0`, cmdSeq being the last command whose
 * events the entry holds: Redis refuses an id not above a stream's last one, which is what makes
 * publishing idempotent (publisher.ts). Their field `b` is the events in the project's binary codec
 * (persistence/binary-codec.ts: bigints exact, object shapes interned — about 125 bytes an event,
 * decoded several times faster than JSON), `t` the publication time in ms.
 */

export interface Layout {
  readonly prefix: string;
  readonly epoch: string;
  readonly shardCount: string;
  readonly market: string;
  readonly published: string;
  readonly credLog: string;
  events(shard: number): string;
  credStore(name: string): string;
}

export function layoutOf(prefix: string): Layout {
  return {
    prefix,
    epoch: `${prefix}:epoch`,
    shardCount: `${prefix}:shards`,
    market: `${prefix}:mk`,
    published: `${prefix}:published`,
    credLog: `${prefix}:credlog`,
    events: (shard) => `${prefix}:ev:${shard}`,
    credStore: (name) => `${prefix}:cred:${name}`,
  };
}

/** The shard an account's events go to: one shard holds all of an account's events, in seq order. */
export function shardOf(accountId: number, shards: number): number {
  return accountId % shards;
}

/** The id of an entry whose last command is `cmdSeq`. */
export const entryId = (cmdSeq: number): string => `${cmdSeq}-0`;

/** The command part of an entry id ('0' and '' read as 0). */
export function cmdSeqOfId(id: string): number {
  const dash = id.indexOf('-');
  return Number(dash < 0 ? id : id.slice(0, dash)) || 0;
}

/** An XREAD / XRANGE entry as node-redis returns it in RESP2: [id, [field, value, …]]. */
export type RawEntry = [string, string[]];

/** A field's value in a raw entry, or undefined. */
export function fieldOf(entry: RawEntry, name: string): string | undefined {
  const fields = entry[1];
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** An entry read as bytes (sendForBytes): its id, and its fields and values as bytes. */
export type ByteEntry = [string, Buffer[]];

/** A field's value in an entry read as bytes, or undefined. */
export function bytesOf(entry: ByteEntry, name: string): Buffer | undefined {
  const fields = entry[1];
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i]!.length === name.length && fields[i]!.toString('latin1') === name) return fields[i + 1];
  return undefined;
}
