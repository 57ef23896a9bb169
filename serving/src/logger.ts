import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from '@rfm/shared';

export type { Logger };

/**
 * Fields that hold personal data if anything ever logs them: customer attributes (e-mail, name,
 * consent) and the customer id (Shopify's is the e-mail address). No code logs them today (a test
 * checks the log of a whole run for the export's addresses); this is the net under that rule.
 */
export const PERSONAL_DATA_PATHS = [
  'email',
  '*.email',
  'cid',
  '*.cid',
  'consent',
  '*.consent',
  'customerName',
  '*.customerName',
  'attributes.email',
  'attributes.name',
];

/** JSON lines on stdout (or `destination`: tests read what is logged); request ids and versions as fields, never request bodies. */
export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'rfm-serving' },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', ...PERSONAL_DATA_PATHS], remove: true },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** For library use and tests: a logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
