import { sortByCid } from '@rfm/ingest';
import { mulberry32 } from '@rfm/shared';

/** Customers shaped like gen:data's: ids from 12346, recency over a year, skewed frequency and spend. */
export function syntheticTable(n: number, seed: number, drift = 0) {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const cids: string[] = [];
  const raw = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    cids.push(String(12346 + i));
    raw[i * 3] = Math.min(373, Math.floor(rnd() * 374) + drift);
    raw[i * 3 + 1] = Math.max(1, Math.round(Math.exp(0.9 + 1.1 * gauss())));
    raw[i * 3 + 2] = Math.round(Math.exp(6 + 1.3 * gauss()) * 100) / 100;
  }
  // ingest hands tables over sorted by cid (code units); keep that order
  return sortByCid({ cids, raw });
}
