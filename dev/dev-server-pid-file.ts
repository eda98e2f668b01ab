/**
 * The launcher's dev server runs in its own process group; if the launcher is killed outright (SIGKILL, a
 * closed terminal), the server outlives it and keeps the port and the SQLite file. Its pid is recorded
 * so that the next start can stop that leftover instead of failing on a busy port.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function writePidFile(file: string, pid: number): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${pid}\n`);
}

export function removePidFile(file: string): void {
  rmSync(file, { force: true });
}

/**
 * Stops the dev server a previous launcher left running, if the pid file names a live `temporal server
 * start-dev` process. Resolves to its pid, or null when there was none.
 */
export async function stopLeftoverDevServer(file: string, graceMs = 5_000): Promise<number | null> {
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  removePidFile(file);
  if (!Number.isInteger(pid) || pid <= 1 || !isAlive(pid) || !isDevServer(pid)) return null;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  return pid;
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Only a process whose command line says it is a dev server is stopped: pids are reused. */
function isDevServer(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('server') && argv.includes('start-dev');
  } catch {
    // No /proc (macOS): leave it alone; a busy port is then reported with a hint instead.
    return false;
  }
}
