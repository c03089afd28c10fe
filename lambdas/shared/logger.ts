/**
 * A tiny structured JSON logger: one JSON object per line, with persistent keys such as the
 * connection id and request id appended by the middleware for the duration of an invocation.
 */
type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
const ORDER: Record<Level, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40 };

function threshold(): number {
  const configured = (process.env.LOG_LEVEL ?? 'INFO').toUpperCase() as Level;
  return ORDER[configured] ?? ORDER.INFO;
}

export class Logger {
  #keys: Record<string, unknown> = {};
  #threshold = threshold();

  appendKeys(keys: Record<string, unknown>): void {
    Object.assign(this.#keys, keys);
  }

  resetKeys(): void {
    this.#keys = {};
  }

  debug(message: string, extra?: Record<string, unknown>): void {
    this.#write('DEBUG', message, extra);
  }
  info(message: string, extra?: Record<string, unknown>): void {
    this.#write('INFO', message, extra);
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.#write('WARN', message, extra);
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.#write('ERROR', message, extra);
  }

  #write(level: Level, message: string, extra?: Record<string, unknown>): void {
    if (ORDER[level] < this.#threshold) return;
    const entry: Record<string, unknown> = {
      level,
      timestamp: new Date().toISOString(),
      message,
      ...this.#keys,
      ...extra,
    };
    if (entry.error instanceof Error) {
      const err = entry.error;
      entry.error = { name: err.name, message: err.message, stack: err.stack };
    }
    const line = JSON.stringify(entry);
    if (level === 'ERROR' || level === 'WARN') process.stderr.write(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  }
}

/** The logger shared by every handler of this container. */
export const logger = new Logger();
