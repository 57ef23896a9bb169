/**
 * A separate process that moves the production alias, as an engineer's `rfm models promote`
 * would: `node --conditions=rfm-source --import tsx registry-admin.ts <file> <model> promote <v>`.
 */
import { Registry } from '@rfm/registry';

const [file, model, action, version] = process.argv.slice(2);
if (!file || !model || (action !== 'promote' && action !== 'rollback')) {
  process.stderr.write('usage: registry-admin.ts <file> <model> promote <version> | rollback\n');
  process.exit(64);
}
const reg = await Registry.open(file);
try {
  const by = { actor: 'test-child-process', reason: `serving test ${action}` };
  // force: these tests are about reloading, not about the promotion policy (which has its own tests)
  const move =
    action === 'promote'
      ? await reg.promote(model, Number(version), { ...by, force: true })
      : await reg.rollback(model, by);
  process.stdout.write(`${JSON.stringify(move)}\n`);
} finally {
  await reg.close();
}
