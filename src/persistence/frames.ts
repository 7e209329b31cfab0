/**
 * Length- and checksum-framed records: [u32 LE payload length][u32 LE CRC-32 of payload][payload].
 * A reader stops at the first frame that is cut short or fails its checksum: that is where a
 * crash tore the file.
 */
import { crc32 } from 'node:zlib';

export const FRAME_HEADER_BYTES = 8;
/** A larger length field can only be garbage: no record is this big. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Frames a payload: text (UTF-8) or bytes. */
export function frame(payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  out.writeUInt32LE(body.length, 0);
  out.writeUInt32LE(crc32(body), 4);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

export interface ParsedFrames {
  payloads: string[];
  /** Byte offset just past the last intact frame. */
  validLength: number;
  /** Why reading stopped early, if it did. */
  tornReason: string | null;
}

export interface ParsedFrameBodies {
  /** The payloads as views into the buffer read. */
  bodies: Buffer[];
  validLength: number;
  tornReason: string | null;
}

/** The frames as text (journal batches). */
export function readFrames(buffer: Buffer): ParsedFrames {
  const { bodies, validLength, tornReason } = readFrameBodies(buffer);
  return { payloads: bodies.map((body) => body.toString('utf8')), validLength, tornReason };
}

/** The frames as bytes (snapshot chunks). */
export function readFrameBodies(buffer: Buffer): ParsedFrameBodies {
  const payloads: Buffer[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    if (buffer.length - offset < FRAME_HEADER_BYTES) return { bodies: payloads, validLength: offset, tornReason: `a ${buffer.length - offset}-byte partial header` };
    const length = buffer.readUInt32LE(offset);
    const checksum = buffer.readUInt32LE(offset + 4);
    if (length > MAX_FRAME_BYTES) return { bodies: payloads, validLength: offset, tornReason: `an impossible length ${length}` };
    const end = offset + FRAME_HEADER_BYTES + length;
    if (end > buffer.length) return { bodies: payloads, validLength: offset, tornReason: `a record cut at ${buffer.length - offset - FRAME_HEADER_BYTES} of ${length} bytes` };
    const body = buffer.subarray(offset + FRAME_HEADER_BYTES, end);
    if (crc32(body) !== checksum) return { bodies: payloads, validLength: offset, tornReason: 'a checksum mismatch' };
    payloads.push(body);
    offset = end;
  }
  return { bodies: payloads, validLength: offset, tornReason: null };
}
