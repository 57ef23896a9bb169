// Bundles the compiled CLI (cli/dist/main.js and everything it imports: our packages, zod, Kysely,
// express, DuckDB's JS API, …) into cli/bundle/ with esbuild, so a command loads a few large
// files instead of about a thousand small ones: `rfm models list` took 0.76–0.82 s of CPU unbundled
// and 0.24–0.31 s bundled here. Lazy `import()`s stay lazy (code splitting: one chunk each), so
// `rfm --help` still loads commander and the command modules only.
//
// Run by `npm run build` after `tsc -b cli`. cli/bin/rfm.js loads cli/bundle/main.js.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = join(CLI, '..');
const OUT = join(CLI, 'bundle');

// Left to Node at run time: native addons (.node files), packages that find their own files next
// to their module (TensorFlow.js' .wasm, ECharts' dist bundle, exceljs, cli-progress are
// required through createRequire on first use anyway) and optional native drivers.
const EXTERNAL = [
  '@duckdb/node-bindings',
  '@duckdb/node-bindings-*',
  'better-sqlite3',
  '@tensorflow/*',
  'echarts',
  'exceljs',
  'cli-progress',
  'pg-native',
];

// Our compiled modules locate files next to themselves (serving/assets, data/, package.json,
// worker and child-process entries) with `new URL(…, import.meta.url)`. In the bundle every module
// shares the chunk's URL, so each module's `import.meta.url` is rewritten to its own dist file,
// expressed relative to the bundle: the layout it resolves against stays the one tsc wrote.
const OWN_DIST = /[\\/](shared|ingest|charts|registry|runs|training|serving|cli)[\\/]dist[\\/].*\.js$/;
const ownImportMetaUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: OWN_DIST }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(OUT, args.path).split(sep).join('/');
      return {
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`),
        loader: 'js',
      };
    });
  },
};

await rm(OUT, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { main: join(CLI, 'dist', 'main.js') },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  external: EXTERNAL,
  // Bundled CommonJS packages call require() for Node's built-ins; ESM output has none of its own.
  banner: {
    js: "import { createRequire as __rfmCreateRequire } from 'node:module';\nconst require = __rfmCreateRequire(import.meta.url);",
  },
  plugins: [ownImportMetaUrl],
  logLevel: 'warning',
  legalComments: 'none',
  metafile: true,
});
const files = Object.keys(result.metafile.outputs);
const bytes = files.reduce((n, f) => n + result.metafile.outputs[f].bytes, 0);
console.log(`cli/bundle: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB`);
