import pino from 'pino';

export type Logger = pino.Logger;

/** JSON logs on stdout; API keys and bodies are never logged. */
export function createLogger(level: string): Logger {
  return pino({ level, redact: ['req.headers.authorization', 'headers.authorization'] });
}
