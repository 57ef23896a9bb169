'use strict';
// Mocha reporter: the spec reporter's output, then the slowest test FILES by time spent in them, hooks included.
// Mocha's per-test milliseconds leave out before/after hooks, which is where servers start and models train, so a
// CI log could not show where the time goes. A file's time is the sum of the durations mocha records for its tests
// and hooks; the same figures arrive in serial and --parallel runs (where events reach the reporter per file,
// replayed, so wall clocks taken here would be meaningless). Module import time (tsx compiling) is not counted.
const path = require('node:path');
const Spec = require('mocha/lib/reporters/spec');
const { EVENT_HOOK_END, EVENT_TEST_END, EVENT_RUN_BEGIN, EVENT_RUN_END } = require('mocha/lib/runner').constants;

const SHOWN = 25;

class FileTimingReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    /** @type {Map<string, {ms: number, tests: number}>} */
    const files = new Map();
    let started = Date.now();
    const add = (runnable, isTest) => {
      const file = runnable.file ? path.relative(process.cwd(), runnable.file) : '(root hooks)';
      const entry = files.get(file) ?? { ms: 0, tests: 0 };
      entry.ms += typeof runnable.duration === 'number' ? runnable.duration : 0;
      if (isTest) entry.tests += 1;
      files.set(file, entry);
    };
    runner.on(EVENT_RUN_BEGIN, () => {
      started = Date.now();
    });
    runner.on(EVENT_TEST_END, (test) => add(test, true));
    runner.on(EVENT_HOOK_END, (hook) => add(hook, false));
    runner.once(EVENT_RUN_END, () => {
      const rows = [...files.entries()].sort((a, b) => b[1].ms - a[1].ms);
      const counted = rows.reduce((sum, [, e]) => sum + e.ms, 0);
      const wall = Date.now() - started;
      const out = [`\n  Slowest ${Math.min(SHOWN, rows.length)} of ${rows.length} test files (tests + hooks):`];
      for (const [file, e] of rows.slice(0, SHOWN)) {
        out.push(`  ${(e.ms / 1000).toFixed(1).padStart(7)} s  ${String(e.tests).padStart(3)} tests  ${file}`);
      }
      out.push(
        `  counted ${(counted / 1000).toFixed(1)} s in tests + hooks; run wall time ${(wall / 1000).toFixed(1)} s\n`,
      );
      process.stdout.write(`${out.join('\n')}\n`);
    });
  }
}

module.exports = FileTimingReporter;
