/**
 * Started by test/service/heap-limit.test.ts as a service entry is: applies the heap limit first (which may
 * re-execute this very process), then prints what it runs with as one JSON line.
 */
import { getHeapStatistics } from 'node:v8';
import { applyHeapLimit } from '../../src/service/heap-limit';

const applied = applyHeapLimit();
process.stdout.write(
  `${JSON.stringify({
    ...applied,
    pid: process.pid,
    node: process.version,
    execArgv: process.execArgv,
    argv: process.argv.slice(2),
    v8HeapSizeLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024),
  })}\n`,
);
