import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Wake a SQLite follower as soon as another process commits: a commit writes the registry's
 * `-wal` file (or the file itself), and the folder's change events (inotify on Linux) arrive
 * within a millisecond or so, where the `data_version` poll waits up to its interval (250 ms by
 * default, most of the promote→served time). The poll stays: it is the safety net where no events
 * come (network file systems, some container bind mounts). Every event only asks for a poll,
 * which costs one pragma when nothing committed, so bursts (a long registration) are harmless.
 * Returns a stop function, or null when the folder cannot be watched.
 */
export function watchSqliteCommits(file: string, onChange: () => void): (() => void) | null {
  const name = basename(file);
  let w: FSWatcher;
  try {
    w = watch(dirname(file), { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name || changed === `${name}-wal`) onChange();
    });
  } catch {
    return null;
  }
  w.on('error', () => w.close()); // the folder went away: the poll carries on alone
  return () => w.close();
}
