import { MODEL_NAME_PATTERN } from './patterns.js';
import { z } from 'zod';
import { RfmError } from './errors.js';
import { zodIssues } from './validate.js';

/**
 * Every environment variable rfm reads, validated once at start-up. Flags given on the command
 * line override them (same schema). An invalid value fails with a list of what is wrong.
 */
export const ENV_VARS = {
  RFM_REGISTRY: 'the registry: a SQLite file path (default data/registry.db) or a postgres:// URL',
  RFM_MODEL_NAME: 'registered model name (default customer-segments)',
  RFM_HOST: 'address the server listens on (default 127.0.0.1)',
  RFM_PORT: 'port the server listens on (default 8080; 0 picks a free one)',
  RFM_TF_BACKEND: 'TensorFlow.js backend for training: node, wasm or cpu (default: node if installed, else wasm)',
  RFM_ADMIN_TOKEN:
    'bearer token that enables admin write routes (at least 32 characters; `rfm token` prints a good one)',
  RFM_READ_TOKEN:
    'bearer token for reading scoring runs (GET /api/v1/runs…: customer-level data) without the admin token; at least 32 characters',
  RFM_USERS:
    'the users file: named people, their role (viewer or admin) and the sha256 of their token (`rfm users add` writes it; mode 600)',
  RFM_TOKEN:
    "the CLI's token when RFM_USERS is set: registry writes act as its person (admin role; a viewer may rfm score --save)",
  RFM_ACTOR: 'who is acting, recorded in registry events (default: the OS user)',
  RFM_LOG_LEVEL: 'pino log level: fatal, error, warn, info, debug, trace, silent (default info)',
  RFM_POLL_MS: 'how often the server checks the registry for alias moves, in ms (default 250)',
  RFM_CORS_ORIGINS:
    'comma-separated origins allowed to call the API from a browser, e.g. https://crm.example.com (default: none, CORS off)',
  RFM_WORKERS: 'server processes: a number, or auto for one per core (default 1)',
  RFM_RUN_UPLOAD_KEEP_HOURS:
    'hours an export uploaded on the Runs page is kept after its run, so a new version can be trained on it from the run page (default 24; 0 keeps none)',
  RFM_TRUST_PROXY:
    'the reverse proxies in front of the server, so client addresses (rate limits) and https (Secure cookie) come from X-Forwarded-*' +
    ': a hop count such as 1, or comma-separated addresses/subnets such as loopback or 10.0.0.0/8 (default: none, trust no header)',
  RFM_RUNS_RETENTION_DAYS:
    'a server deletes saved runs older than this many days, hourly (default: unset, runs are kept until deleted or `rfm runs gc`)',
  RFM_RUNS_KEEP: 'a server keeps only the newest N saved runs of each model, hourly (default: unset, no limit)',
} as const;

const port = z.coerce.number().int().min(0).max(65535);

export const ConfigSchema = z.object({
  registry: z.string().min(1).default('data/registry.db'),
  modelName: z
    .string()
    .regex(MODEL_NAME_PATTERN, 'letters, digits, dot, dash, underscore; 1–64 characters')
    .default('customer-segments'),
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(8080),
  tfBackend: z.enum(['node', 'wasm', 'cpu']).optional(),
  adminToken: z
    .string()
    .min(32, 'must be at least 32 characters (a guessable token is a way in); generate one with: rfm token')
    .optional(),
  readToken: z
    .string()
    .min(32, 'must be at least 32 characters (a guessable token is a way in); generate one with: rfm token')
    .optional(),
  users: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
  actor: z.string().min(1).max(128).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  pollMs: z.coerce.number().int().min(10).max(60_000).default(250),
  corsOrigins: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s !== ''))
    .pipe(
      z.array(
        z
          .string()
          .regex(
            /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$/,
            'each origin must look like https://host or http://host:port (no path, no trailing slash)',
          ),
      ),
    )
    .default([]),
  runsRetentionDays: z.coerce
    .number({ error: 'a whole number of days, 1 or more' })
    .int({ error: 'a whole number of days, 1 or more' })
    .min(1, { error: 'a whole number of days, 1 or more' })
    .max(36_500)
    .optional(),
  runsKeep: z.coerce
    .number({ error: 'a whole number of runs, 1 or more' })
    .int({ error: 'a whole number of runs, 1 or more' })
    .min(1, { error: 'a whole number of runs, 1 or more' })
    .max(100_000)
    .optional(),
  // an upload holds customer-level data: kept for retraining a bounded time (at most 90 days), then deleted
  runUploadKeepHours: z.coerce
    .number({ error: 'a number of hours' })
    .min(0, 'at least 0 (0 keeps no upload)')
    .max(24 * 90, 'at most 2160 (90 days)')
    .default(24),
  workers: z
    .union([z.literal('auto'), z.coerce.number().int().min(1, 'at least 1').max(256)], {
      error: 'a whole number of 1 or more, or auto',
    })
    .default(1),
  // never plain `true`: then any client could claim any address in X-Forwarded-For and dodge limits
  trustProxy: z
    .union([z.number(), z.string()])
    .transform((v, ctx): number | string[] | false => {
      const s = String(v).trim();
      if (s === '' || s === 'false' || s === '0') return false;
      if (/^\d{1,2}$/.test(s)) return Number(s);
      const list = s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      const bad = list.find(
        (x) => !/^(loopback|linklocal|uniquelocal|[0-9.]+(\/\d{1,2})?|[0-9A-Fa-f:]+(\/\d{1,3})?)$/.test(x),
      );
      if (bad !== undefined || list.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `a hop count (e.g. 1) or addresses/subnets (loopback, 10.0.0.0/8, ::1); got ${bad ?? s}`,
        });
        return z.NEVER;
      }
      return list;
    })
    .default(false),
});
export type Config = z.output<typeof ConfigSchema>;

const FROM_ENV: Record<keyof typeof ENV_VARS, keyof Config> = {
  RFM_REGISTRY: 'registry',
  RFM_MODEL_NAME: 'modelName',
  RFM_HOST: 'host',
  RFM_PORT: 'port',
  RFM_TF_BACKEND: 'tfBackend',
  RFM_ADMIN_TOKEN: 'adminToken',
  RFM_READ_TOKEN: 'readToken',
  RFM_USERS: 'users',
  RFM_TOKEN: 'token',
  RFM_ACTOR: 'actor',
  RFM_LOG_LEVEL: 'logLevel',
  RFM_POLL_MS: 'pollMs',
  RFM_CORS_ORIGINS: 'corsOrigins',
  RFM_WORKERS: 'workers',
  RFM_RUN_UPLOAD_KEEP_HOURS: 'runUploadKeepHours',
  RFM_TRUST_PROXY: 'trustProxy',
  RFM_RUNS_RETENTION_DAYS: 'runsRetentionDays',
  RFM_RUNS_KEEP: 'runsKeep',
};

/** Env first, then flags (undefined flags do not override). */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  flags: Partial<Record<keyof Config, unknown>> = {},
): Config {
  const raw: Record<string, unknown> = {};
  const source: Record<string, string> = {};
  for (const [name, key] of Object.entries(FROM_ENV)) {
    const v = env[name];
    if (v !== undefined && v !== '') {
      raw[key] = v;
      source[key] = name;
    }
  }
  for (const [key, v] of Object.entries(flags)) {
    if (v !== undefined) {
      raw[key] = v;
      source[key] = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    }
  }
  const r = ConfigSchema.safeParse(raw);
  if (r.success) return r.data;
  const issues = zodIssues(r.error).map((i) => ({
    ...i,
    path: source[i.path] ?? source[i.path.split('.')[0]!] ?? i.path,
  }));
  throw new RfmError(
    'INVALID_INPUT',
    `invalid configuration:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`,
    { issues },
  );
}
