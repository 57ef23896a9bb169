// The runtime's ceiling: node:http reading and parsing the JSON body and answering a fixed JSON
// body, on `WORKERS` cluster workers. usage: node bare-http.mjs PORT [WORKERS]
import { onWorkers } from './workers.mjs';
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const workers = Number(process.argv[3] ?? 2);
const ANSWER = JSON.stringify({
  model_name: 'customer-segments',
  model_version: 1,
  predictions: [{ cid: '12346', cluster: 1, segment: 'At Risk' }],
});
onWorkers(workers, () => {
  createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(ANSWER),
      });
      res.end(ANSWER);
    });
  }).listen(port, '127.0.0.1');
});
