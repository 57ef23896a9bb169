import { hostname } from 'node:os';

/**
 * Who executes scoring runs. A job's `server_id` is `host:group:pid` (see registry run-jobs.ts):
 * the group is the `rfm serve` instance (the cluster primary's pid when this is a worker, else
 * this process), so one instance runs one job at a time whichever worker took the upload, and a
 * restarted instance knows which jobs its dead predecessor left.
 */
export interface RunIdentity {
  host: string;
  /** `host:group:` — the prefix every job of this serve instance carries */
  group: string;
  groupPid: number;
  serverId: string;
}

export function runIdentity(): RunIdentity {
  const host = hostname().replaceAll(':', '_');
  const groupPid = process.env.RFM_WORKER === '1' ? process.ppid : process.pid;
  return { host, groupPid, group: `${host}:${groupPid}:`, serverId: `${host}:${groupPid}:${process.pid}` };
}

/** Whether a process with this pid exists on this host (EPERM: it exists but is another user's). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
