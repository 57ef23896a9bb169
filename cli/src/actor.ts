import { userInfo } from 'node:os';

/** Who is acting: --actor, else RFM_ACTOR (via config), else the OS user. */
export function resolveActor(fromConfig: string | undefined): string {
  if (fromConfig) return fromConfig;
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}
