/**
 * The process's one logger: pino (the logger Fastify is built on, and the one its request loggers
 * are children of), writing one JSON object per line to stdout. On a terminal, and unless JSON is
 * asked for, the same records are rendered as short readable lines by a few lines of our own
 * (no pino-pretty dependency). Secrets never reach a log line: request lines carry the path without
 * its query (where signatures and listen keys travel), and the server logs no headers or bodies.
 */
import { pino, stdTimeFunctions, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** auto: readable lines on a terminal, JSON otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** The severity a component's message is logged at. */
export type MessageLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * How components that are not request-scoped report (store, listen keys, scheduler, gateway): a
 * message and its severity. Tests pass `(message) => lines.push(message)`.
 */
export type LogFn = (message: string, level?: MessageLevel) => void;

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where the lines go (default stdout); tests capture them. */
  destination?: DestinationStream;
  /** Is the output a terminal (default: process.stdout.isTTY). */
  tty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'auto';
  const tty = options.tty ?? process.stdout.isTTY === true;
  const out: DestinationStream = options.destination ?? process.stdout;
  const destination = format === 'pretty' || (format === 'auto' && tty) ? readableLines(out) : out;
  return pino({
    level: options.level ?? 'info',
    base: { pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }, destination);
}

/** A logger that writes nothing (servers started without one: tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A component's LogFn onto a logger (its messages at the level each names, info by default). */
export function logFnOf(logger: Logger): LogFn {
  return (message, level = 'info') => logger[level](message);
}

const SKIPPED = new Set(['level', 'time', 'msg', 'pid']);

/**
 * Renders pino's JSON records as `HH:MM:SS.mmm LEVEL message key=value …` (an error's stack on the
 * lines after it). Only used on a terminal: pipes and files get the JSON.
 */
function readableLines(out: DestinationStream): DestinationStream {
  return {
    write(line: string): void {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        out.write(line);
        return;
      }
      const time = typeof record.time === 'string' ? record.time.slice(11, 23) : '';
      const level = String(record.level ?? '').toUpperCase().padEnd(5);
      let text = `${time} ${level} ${String(record.msg ?? '')}`;
      let stack = '';
      for (const [key, value] of Object.entries(record)) {
        if (SKIPPED.has(key)) continue;
        if (key === 'err' && typeof value === 'object' && value !== null && 'stack' in value) {
          stack = `\n${String((value as { stack: unknown }).stack)}`;
          continue;
        }
        text += ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
      }
      out.write(`${text}${stack}\n`);
    },
  };
}
