/**
 * CPU time by thread of this process (main thread, workflow thread, SDK core, libuv and V8 helpers) and by
 * other processes (the dev server), read from /proc. A cheap profile that shows which part is saturated.
 */
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

function cpuTicks(statPath: string): { comm: string; ticks: number } | null {
  try {
    const text = readFileSync(statPath, 'utf8');
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    const comm = text.slice(open + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // Fields after the command: state is [0]; utime and stime are the 14th and 15th of the whole line.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { comm, ticks };
  } catch {
    return null;
  }
}

function threadGroup(tid: string, pid: number, comm: string): string {
  if (Number(tid) === pid) return 'main thread';
  if (comm.startsWith('tokio') || comm.startsWith('temporal') || comm.startsWith('workflow-proces')) {
    return 'SDK core (Rust)';
  }
  // Node names its worker threads (the SDK's workflow thread), V8's GC and compiler helpers and the libuv
  // pool all "node"; only a JS profile (--cpu-prof) tells them apart.
  return 'other threads (workflow JS thread, GC, libuv)';
}

function snapshot(processes: Record<string, number>): Map<string, number> {
  const totals = new Map<string, number>();
  const add = (key: string, ticks: number) => totals.set(key, (totals.get(key) ?? 0) + ticks);
  const pid = process.pid;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = cpuTicks(`/proc/${pid}/task/${tid}/stat`);
    if (stat) add(`bench process: ${threadGroup(tid, pid, stat.comm)}`, stat.ticks);
  }
  for (const [name, otherPid] of Object.entries(processes)) {
    const stat = cpuTicks(`/proc/${otherPid}/stat`);
    if (stat) add(name, stat.ticks);
  }
  return totals;
}

export interface CpuProfile {
  seconds: number;
  /** CPU seconds used over the window, and as a share of one core (100 = one core busy). */
  byPart: Record<string, { cpuSeconds: number; percentOfCore: number }>;
}

/** Starts measuring; `stop()` returns CPU used per part over the window. Linux only (empty elsewhere). */
export function startCpuProfile(processes: Record<string, number> = {}): { stop(): CpuProfile } {
  const supported = process.platform === 'linux';
  const start = supported ? snapshot(processes) : new Map<string, number>();
  const t0 = Date.now();
  return {
    stop: () => {
      const seconds = (Date.now() - t0) / 1000;
      const end = supported ? snapshot(processes) : new Map<string, number>();
      const byPart: CpuProfile['byPart'] = {};
      for (const [key, ticks] of end) {
        const cpuSeconds = (ticks - (start.get(key) ?? 0)) / TICKS_PER_SECOND;
        byPart[key] = {
          cpuSeconds: Math.round(cpuSeconds * 100) / 100,
          percentOfCore: seconds > 0 ? Math.round((cpuSeconds / seconds) * 100) : 0,
        };
      }
      return { seconds: Math.round(seconds * 100) / 100, byPart };
    },
  };
}
