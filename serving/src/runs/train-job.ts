import { spawn, type ChildProcess } from 'node:child_process';
import { z } from 'zod';
import { RfmError } from '@rfm/shared';

/**
 * "Train a new version on this run's export" (run page, admin): the job waits in the same run_jobs
 * table as scoring runs (options.kind = 'train'), so any worker answers its progress and cancel,
 * and the same queue executes it, one job at a time per server. The training itself is the real
 * `rfm train` in a child process: serving never imports training. The command comes from whoever
 * started the server (`rfm serve` passes its own entry point); without one, retraining is off.
 */
export const TRAIN_K_MAX = 12;

export const TrainJobOptions = z.object({
  kind: z.literal('train'),
  /** the saved run whose kept upload is trained on */
  source: z.string(),
  k: z.union([z.literal('auto'), z.number().int().min(2).max(TRAIN_K_MAX)]),
  /** how the source run read its export (column mapping, date format, snapshot date) */
  read: z
    .object({
      columns: z.record(z.string(), z.string()).optional(),
      dateFormat: z.string().optional(),
      asOf: z.string().optional(),
    })
    .default({}),
});
export type TrainJobOptions = z.output<typeof TrainJobOptions>;

export const isTrainJob = (options: Record<string, unknown>): boolean => options.kind === 'train';

/** The result stored with a finished train job: the version it registered. */
export const TrainJobResult = z.object({ trained: z.object({ model: z.string(), version: z.number().int() }) });

/** `rfm train` arguments after the command: the export, then how to read it and k, as the source run read it. */
export function trainArgs(file: string, o: TrainJobOptions): string[] {
  const args = [file, '--k', String(o.k), '--json', '--progress-json'];
  const cols = Object.entries(o.read.columns ?? {});
  if (cols.length) {
    // --columns is role=name,…: a header with a comma or an equals sign cannot be said that way
    const bad = cols.find(([, name]) => /[,=]/.test(name));
    if (bad)
      throw new RfmError(
        'INVALID_INPUT',
        `the column "${bad[1]}" has a comma or "=" in its name, which rfm train --columns cannot take; rename it in the export`,
      );
    args.push('--columns', cols.map(([role, name]) => `${role}=${name}`).join(','));
  }
  if (o.read.dateFormat) args.push('--date-format', o.read.dateFormat);
  if (o.read.asOf) args.push('--as-of', o.read.asOf);
  return args;
}

const ProgressLine = z.object({
  rfm_progress: z.literal(1),
  phase: z.string(),
  percent: z.number().min(0).max(100),
  rows_read: z.number().int().min(0),
});
const Registered = z.object({ model: z.string(), version: z.number().int().positive() });
const Failed = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Words for the status page instead of the training phase names. */
const PHASE_WORDS: Record<string, string> = {
  read_clean_aggregate: 'reading the export',
  read_features: 'reading the export',
  backend_init: 'starting',
  preprocess: 'preparing the customers',
  fit: 'fitting k-means',
  evaluate: 'evaluating',
  name: 'naming the segments',
  report: 'writing the training report',
  register: 'registering the new version',
};

export interface TrainChild {
  child: ChildProcess;
  /** after exit: the version registered, or why it failed (code and message from rfm's --json error) */
  outcome(): { version: number } | { code: string; message: string } | null;
}

/**
 * Start `command… <args>` with the registry, model and actor in its environment (a PostgreSQL URL
 * with its password never appears in a process list). Progress lines on stderr go to `onProgress`;
 * stdout (the one JSON object of --json) is kept for `outcome()`.
 */
export function startTrainChild(
  command: readonly string[],
  args: string[],
  env: { registry: string; model: string; actor: string },
  onProgress: (p: { phase: string; percent: number; rowsRead: number }) => void,
): TrainChild {
  const [exe, ...pre] = command;
  // The server already checked that the person who asked holds the admin role, so the child acts
  // for the server, not through the users file: without RFM_USERS it records RFM_ACTOR (web:NAME)
  // as given, and never needs a person's token (the server has none to pass on).
  const { RFM_USERS: _users, RFM_TOKEN: _token, ...inherited } = process.env;
  const child = spawn(exe!, [...pre, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...inherited,
      RFM_REGISTRY: env.registry,
      RFM_MODEL_NAME: env.model,
      RFM_ACTOR: env.actor,
      RFM_LOG_LEVEL: 'warn',
    },
  });
  let stdout = '';
  let partial = '';
  let plain = '';
  child.stdout?.on('data', (d: Buffer) => {
    if (stdout.length < 1_000_000) stdout += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    const lines = (partial + d.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      let parsed: z.output<typeof ProgressLine> | null = null;
      try {
        const r = ProgressLine.safeParse(JSON.parse(line));
        if (r.success) parsed = r.data;
      } catch {
        // not a progress line: an error message or a warning, kept below
      }
      if (parsed)
        onProgress({
          phase: PHASE_WORDS[parsed.phase] ?? parsed.phase,
          percent: parsed.percent,
          rowsRead: parsed.rows_read,
        });
      else if (plain.length < 4000) plain += `${line}\n`;
    }
  });
  return {
    child,
    outcome() {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        const why = /heap out of memory/i.test(plain) ? ': out of memory' : '';
        return plain || stdout ? { code: 'INTERNAL', message: `rfm train ended without a result${why}` } : null;
      }
      const ok = Registered.safeParse(json);
      if (ok.success) return { version: ok.data.version };
      const failed = Failed.safeParse(json);
      return failed.success
        ? { code: failed.data.error.code, message: failed.data.error.message }
        : { code: 'INTERNAL', message: 'rfm train printed an unexpected result' };
    },
  };
}
