import { createRequire } from 'node:module';
import { RfmError } from '@rfm/shared';

/**
 * TensorFlow.js backend choice, once per process. `RFM_TF_BACKEND` (or the `backend` option) picks
 * one explicitly and fails loudly if it cannot start; otherwise the native `@tensorflow/tfjs-node`
 * is tried (never a dependency: it needs internet at install time, so only images built online
 * have it), then wasm, then the pure-JS cpu backend.
 */
export type BackendPreference = 'node' | 'wasm' | 'cpu';

export type Tf = typeof import('@tensorflow/tfjs-core');

// Loaded on first use, so importing @rfm/training (as every `rfm` command does) stays cheap; and
// through require(): these are large CommonJS bundles, and import() would first scan each one for
// its named exports (about 3× slower to load).
const require = createRequire(import.meta.url);
let tf: Tf;
async function loadTf(): Promise<Tf> {
  if (!tf) {
    tf = require('@tensorflow/tfjs-core') as Tf;
    require('@tensorflow/tfjs-backend-cpu');
    require('@tensorflow/tfjs-backend-wasm');
  }
  return tf;
}

// tfjs-node registers itself under this name.
const NODE_BACKEND = 'tensorflow';
// A variable keeps TypeScript from resolving a module that is deliberately not installed.
const TFJS_NODE = '@tensorflow/tfjs-node';

let chosen: Promise<string> | undefined;
let chosenFor: BackendPreference | undefined;

async function tryNode(): Promise<boolean> {
  try {
    require(TFJS_NODE);
  } catch {
    return false;
  }
  return tf.findBackend(NODE_BACKEND) !== undefined && (await tf.setBackend(NODE_BACKEND));
}

async function trySet(name: 'wasm' | 'cpu'): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

async function choose(pref: BackendPreference | undefined): Promise<string> {
  await loadTf();
  // PROD mode silences tfjs's console banners (they would corrupt `--json` output) and skips
  // per-op debug checks.
  tf.enableProdMode();
  if (pref === 'node') {
    if (await tryNode()) return tf.getBackend();
    throw new RfmError(
      'UNSUPPORTED',
      'TensorFlow.js backend "node" requested (RFM_TF_BACKEND=node) but @tensorflow/tfjs-node is not installed or failed to load; install it or ' +
        'choose wasm or cpu',
    );
  }
  if (pref === 'wasm' || pref === 'cpu') {
    if (await trySet(pref)) return tf.getBackend();
    throw new RfmError(
      'UNSUPPORTED',
      `TensorFlow.js backend "${pref}" requested (RFM_TF_BACKEND=${pref}) but it failed to initialise`,
    );
  }
  if (await tryNode()) return tf.getBackend();
  if (await trySet('wasm')) return tf.getBackend();
  if (await trySet('cpu')) return tf.getBackend();
  throw new RfmError('INTERNAL', 'no TensorFlow.js backend could be initialised (tried node, wasm, cpu)');
}

/** Initialise (once) and return tf plus the backend name actually in use. */
export async function selectBackend(pref?: BackendPreference): Promise<{ tf: Tf; backend: string }> {
  if (!chosen || chosenFor !== pref) {
    chosenFor = pref;
    chosen = choose(pref);
    chosen.catch(() => {
      chosen = undefined;
    });
  }
  const backend = await chosen;
  return { tf, backend };
}
