import { spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { isKnownApiKey, parseApiKeyHashes } from '../../src/api/api-keys';
import { apiKeyEntry } from '../../src/ops/api-key-entry';
import { OpsUsageError, parseOpsArgs } from '../../src/ops/ops-args';

/** `npm run ops -- hash-api-key …` as an operator runs it, without any Temporal configured. */
function ops(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/ops/main.ts', ...args],
      {
        cwd: PROJECT_ROOT,
        env: { PATH: process.env.PATH ?? '', TEMPORAL_ADDRESS: '127.0.0.1:1' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('npm run ops -- hash-api-key', () => {
  it('makes a new key whose printed hash is an API_KEY_HASHES entry that accepts it', async () => {
    const { code, stdout } = await ops(['hash-api-key']);
    expect(code).toBe(0);
    const entry = JSON.parse(stdout) as { key: string; hash: string };
    const { hashes, problems } = parseApiKeyHashes(entry.hash);
    expect(problems).toEqual([]);
    expect(isKnownApiKey(entry.key, hashes)).toBe(true);

    const again = await ops(['hash-api-key', '--stdin'], `${entry.key}\n`);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ command: 'hash-api-key', hash: entry.hash });
  });

  it('refuses a short key from stdin, and a key on the command line', () => {
    expect(() => apiKeyEntry('short\n')).toThrow(/at least 24 characters/);
    expect(() => apiKeyEntry('a key with spaces in it, long enough')).toThrow(OpsUsageError);
    expect(() => parseOpsArgs(['hash-api-key', 'my-key'])).toThrow(/takes no arguments/);
    expect(() => parseOpsArgs(['state', 'b-1', '--stdin'])).toThrow(/--stdin is only for hash-api-key/);
    expect(parseOpsArgs(['hash-api-key', '--stdin'])).toEqual({ name: 'hash-api-key', fromStdin: true });
  });
});
