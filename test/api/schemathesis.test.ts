import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { type ApiStack, startApiStack } from './support';

const SCHEMATHESIS = path.join(PROJECT_ROOT, '.tools/python/bin/schemathesis');
/** Test cases per operation and phase: enough to reach every field and bound, small enough for CI. */
const MAX_EXAMPLES = Number(process.env.API_FUZZ_EXAMPLES ?? 15);
/** Fixed so that a failure found in CI can be replayed; set API_FUZZ_SEED to explore further. */
const SEED = process.env.API_FUZZ_SEED ?? '20261203';

function runSchemathesis(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(SCHEMATHESIS, args, {
      // Its example cache (.schemathesis/) goes with the other test output, not into the checkout.
      cwd: path.join(PROJECT_ROOT, 'test-results'),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        NO_COLOR: '1',
        SCHEMATHESIS_TELEMETRY: 'false',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('HTTP API under a property-based fuzzer (schemathesis, from the OpenAPI document)', () => {
  let stack: ApiStack;
  beforeAll(async () => {
    if (!existsSync(SCHEMATHESIS)) {
      throw new Error(`${SCHEMATHESIS} is missing: run \`npm run setup:python\` (npm test does it first)`);
    }
    stack = await startApiStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('finds no 5xx, no answer outside the document and no bad request accepted', async () => {
    const { code, output } = await runSchemathesis([
      'run',
      `${stack.url}/openapi.json`,
      '--checks',
      'all',
      // Stateful runs follow links between operations, which this API has none of.
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      String(MAX_EXAMPLES),
      '--seed',
      SEED,
      '--workers',
      '1',
      '--request-timeout',
      '90',
      '-H',
      `Authorization: Bearer ${stack.keys[0]}`,
    ]);
    if (code !== 0) throw new Error(`schemathesis exited ${code}:\n${output}`);
    expect(output).toMatch(/\d+ passed/);
  }, 240_000);
});
