// The runtime's ceiling: node:http reading and parsing the JSON body and answering a fixed JSON
// body, on `WORKERS` cluster workers. With `batched`, the answers are written as rfm's fast path
// writes them: at the end of the event loop's turn, all together (serving/src/turn-batch.ts), the
// runtime's ceiling for that technique, printed beside the plain runtime's.
// usage: node bare-http.mjs PORT [WORKERS] [batched]
import { onWorkers } from './workers.mjs';
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const workers = Number(process.argv[3] ?? 2);
const batched = process.argv[4] === 'batched';
const ANSWER = JSON.stringify({
  model_name: 'customer-segments',
  model_version: 1,
  predictions: [{ cid: '12346', cluster: 1, segment: 'At Risk' }],
});

function answer(res, chunks) {
  JSON.parse(Buffer.concat(chunks).toString('utf8'));
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(ANSWER),
  });
  res.end(ANSWER);
}

let pending = [];
function answerAll() {
  const all = pending;
  pending = [];
  for (const { res, chunks } of all) answer(res, chunks);
}

onWorkers(workers, () => {
  createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (!batched) return answer(res, chunks);
      if (pending.length === 0) setImmediate(answerAll);
      pending.push({ res, chunks });
    });
  }).listen(port, '127.0.0.1');
});
