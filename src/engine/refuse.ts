/** A refused command's result: nothing changed, and the message says what to do instead. */
import type { CommandError } from './types.js';

export const refuse = (code: CommandError['code'], message: string): CommandError => ({ ok: false, code, message });
