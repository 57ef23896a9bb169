// bare-http.mjs with its answers written as rfm's fast path writes them: at the end of the event
// loop's turn, all together (serving/src/turn-batch.ts). The runtime's ceiling for that technique,
// printed beside the plain runtime's so that rfm's ratio to bare node:http is read with it.
// usage: node bare-http-batched.mjs PORT [WORKERS]
import { onWorkers } from './workers.mjs';
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const workers = Number(process.argv[3] ?? 2);
const ANSWER = JSON.stringify({
  model_name: 'customer-segments',
  model_version: 1,
  predictions: [{ cid: '12346', cluster: 1, segment: 'At Risk' }],
});
let pending = [];
function answerAll() {
  const answers = pending;
  pending = [];
  for (const { res, chunks } of answers) {
    JSON.parse(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(ANSWER),
    });
    res.end(ANSWER);
  }
}
onWorkers(workers, () => {
  createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (pending.length === 0) setImmediate(answerAll);
      pending.push({ res, chunks });
    });
  }).listen(port, '127.0.0.1');
});
