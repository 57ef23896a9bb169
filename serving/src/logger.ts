import { pino, type Logger } from 'pino';
import type { Config } from '@rfm/shared';

export type { Logger };

/** JSON lines on stdout; request ids and versions as fields, never request bodies. */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'rfm-serving' },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], remove: true },
  });
}

/** For library use and tests: a logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
