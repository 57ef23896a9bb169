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
