import { spawn } from 'node:child_process';
import path from 'node:path';
import { request } from './support';

const ROOT = path.resolve(__dirname, '../..');

describe('sandbox CLI (caliza-double/main.ts)', () => {
  it('prints its URLs, credentials and secret, serves, and exits cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'caliza-double/main.ts'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          SANDBOX_PORT: '0',
          SANDBOX_CLIENT_SECRET: 'cli-secret',
          SANDBOX_LOG_LEVEL: 'silent',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`CLI did not start: ${output}`)), 15_000);
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('seed')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      });
      const baseUrl = /base URL\s+(\S+)/.exec(output)?.[1] ?? '';
      expect(baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(output).toContain(`token URL       ${baseUrl}/auth/realms/caliza/protocol/openid-connect/token`);
      expect(output).toContain('client secret   cli-secret');
      expect(output).toMatch(/integrator id\s+[0-9a-f]{24}/);
      const secret = /webhook secret\s+(\S+)/.exec(output)?.[1];
      const info = await request<{ webhookSecret: string }>(`${baseUrl}/__admin/info`);
      expect(info.json.webhookSecret).toBe(secret);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('SIGTERM received, shutting down');
  });
});
