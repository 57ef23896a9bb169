// `node --import ./module-trace.mjs …`: appends the URL of every module the process resolves to the
// file named by RFM_MODULE_TRACE, one a line, so a test can see what a command loaded.
// (Resolve hooks run in a loader thread of their own; a file is the simplest way back out.)
// A cluster worker of `rfm serve --workers N` (env RFM_WORKER=1) appends to that name + '.worker'.
import { register } from 'node:module';

const hook = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  const file = process.env.RFM_MODULE_TRACE;
  if (file) appendFileSync(process.env.RFM_WORKER === '1' ? file + '.worker' : file, r.url + '\\n');
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
