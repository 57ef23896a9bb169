import { createRequire } from 'node:module';
import type { TrainEvent } from '@rfm/training';
import type { OutputOptions } from '../output.js';

type CliProgress = typeof import('cli-progress');

export interface TrainProgress {
  onProgress?: (message: string) => void;
  onEvent?: (e: TrainEvent) => void;
  /** remove the bar (call when training ends, successfully or not) */
  stop(): void;
}

/**
 * Progress of `rfm train` for a person at a terminal: the phase messages (rows read, restarts with
 * their iterations, each k of a sweep) as lines, and a cli-progress bar over the steps of the fit.
 * Nothing at all with --json or when stderr is not a terminal (pipes, CI logs).
 */
export function trainProgress(o: OutputOptions, stream: NodeJS.WriteStream = process.stderr): TrainProgress {
  if (o.json || stream.isTTY !== true) return { stop() {} };
  const { MultiBar, Presets } = createRequire(import.meta.url)('cli-progress') as CliProgress;
  const bars = new MultiBar(
    {
      stream,
      format: ' {phase} [{bar}] {value}/{total}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 30,
      autopadding: true,
    },
    Presets.shades_classic,
  );
  let bar: ReturnType<InstanceType<CliProgress['MultiBar']>['create']> | undefined;
  let barPhase = '';
  // The fit runs synchronously, so the bar's own redraw timer would not fire until it ends: draw now.
  const redraw = () => (bars as unknown as { update(): void }).update();
  const endBar = () => {
    if (bar) bars.remove(bar);
    bar = undefined;
  };
  return {
    // above the bar while one is drawn, else a plain line
    onProgress: (message) => {
      if (!bar) return void stream.write(`${message}\n`);
      bars.log(`${message}\n`);
      redraw();
    },
    onEvent: (e) => {
      if (e.total === undefined) return endBar();
      const label = e.phase === 'fit' ? 'k-means' : e.phase;
      if (!bar || barPhase !== label) {
        endBar();
        bar = bars.create(e.total, e.done ?? 0, { phase: label });
        barPhase = label;
      } else bar.update(e.done ?? 0);
      redraw();
    },
    stop: () => {
      endBar();
      bars.stop();
    },
  };
}

/** Where each phase of a training run starts, in percent of the whole (the fit takes most of it). */
const PHASE_START: Record<string, number> = {
  read_clean_aggregate: 2,
  read_features: 2,
  backend_init: 2,
  preprocess: 20,
  fit: 25,
  evaluate: 86,
  name: 90,
  report: 93,
  register: 97,
};
const FIT_SPAN = PHASE_START.evaluate! - PHASE_START.fit!;

/** One line of `rfm train --progress-json`: what a program driving the command reads from stderr. */
export interface ProgressLine {
  rfm_progress: 1;
  phase: string;
  percent: number;
  rows_read: number;
  message: string;
}

/**
 * Progress for a program driving `rfm train` (the server's "train a new version" runs it as a child
 * process): one JSON object per line on stderr, the percent never going back, the rows read once
 * known. Error messages stay plain lines (`rfm: …`), so a reader keeps what does not parse as JSON.
 */
export function jsonProgress(stream: NodeJS.WritableStream = process.stderr): TrainProgress {
  let percent = 0;
  let rows = 0;
  const write = (phase: string, message: string) => {
    const line: ProgressLine = {
      rfm_progress: 1,
      phase,
      percent: Math.round(percent * 10) / 10,
      rows_read: rows,
      message,
    };
    stream.write(`${JSON.stringify(line)}\n`);
  };
  return {
    onEvent: (e) => {
      if (e.rows !== undefined) rows = e.rows;
      const start = PHASE_START[e.phase] ?? percent;
      const within = e.phase === 'fit' && e.total ? (FIT_SPAN * (e.done ?? 0)) / e.total : 0;
      percent = Math.min(99, Math.max(percent, start + within));
      write(e.phase, e.message);
    },
    stop() {},
  };
}
