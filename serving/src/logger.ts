import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from '@rfm/shared';

export type { Logger };

/** JSON lines on stdout (or `destination`: tests read what is logged); request ids and versions as fields, never request bodies. */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'rfm-serving' },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], remove: true },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** For library use and tests: a logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
