#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the root `prepare` script).
import('../dist/main.js')
  .then((m) => m.run(process.argv))
  .catch((err) => {
    console.error(`rfm: ${err && err.message ? err.message : String(err)}`);
    process.exitCode = 70;
  });
