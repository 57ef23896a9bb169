#!/usr/bin/env node
// Thin launcher: the CLI bundled by `npm run build` (tsc, then cli/scripts/bundle.mjs; run by
// `npm ci` through the root `prepare` script) lives in cli/bundle/.
import('../bundle/main.js')
  .then((m) => m.run(process.argv))
  .catch((err) => {
    console.error(`rfm: ${err && err.message ? err.message : String(err)}`);
    process.exitCode = 70;
  });
