import { readFileSync } from 'node:fs';

/** This package's version (package.json is one level above both src/ and dist/). */
export const CODE_VERSION: string = (() => {
  try {
    return String(
      (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown })
        .version ?? 'unknown',
    );
  } catch {
    return 'unknown';
  }
})();
