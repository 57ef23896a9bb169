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
const reg = Registry.open(file);
try {
  const by = { actor: 'test-child-process', reason: `serving test ${action}` };
  const move = action === 'promote' ? reg.promote(model, Number(version), by) : reg.rollback(model, by);
  process.stdout.write(`${JSON.stringify(move)}\n`);
} finally {
  reg.close();
}
