// Test fixture (postgres.test.ts): start the throwaway cluster, print its folder, wait to be signalled.
import { testCluster } from './postgres.js';

const c = await testCluster();
process.stdout.write(`${c.dir}\n`);
setInterval(() => {}, 60_000);
