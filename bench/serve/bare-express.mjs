// The ceiling for an express app: express.json() and a route answering a fixed JSON body,
// on `WORKERS` cluster workers (same as rfm). usage: node bare-express.mjs PORT [WORKERS]
import { onWorkers } from './workers.mjs';
import express from 'express';

const port = Number(process.argv[2]);
const workers = Number(process.argv[3] ?? 2);
const ANSWER = {
  model_name: 'customer-segments',
  model_version: 1,
  predictions: [{ cid: '12346', cluster: 1, segment: 'At Risk' }],
};
onWorkers(workers, () => {
  const app = express();
  app.post('/api/v1/predict', express.json(), (_req, res) => res.json(ANSWER));
  app.listen(port, '127.0.0.1');
});
