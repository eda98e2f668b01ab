import http from 'node:http';
import { individualPayload, startHarness, type Harness } from './support';

/** Runs `task` over `items` with at most `width` in flight. */
async function pool<T, R>(items: readonly T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const index = next;
        next += 1;
        results[index] = await task(items[index] as T);
      }
    }),
  );
  return results;
}

describe('sandbox at 10,000 beneficiaries', () => {
  let h: Harness;
  // Plain node:http with keep-alive: a fraction of fetch's per-request cost, so 10,000 calls stay quick.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });

  const call = (method: string, path: string, json?: unknown) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        `${h.sandbox.apiBaseUrl}${path}`,
        {
          method,
          agent,
          headers: { authorization: `Bearer ${h.token}`, 'content-type': 'application/json' },
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(json === undefined ? undefined : JSON.stringify(json));
    });

  const timeLookups = async (ids: string[]): Promise<number> => {
    const started = process.hrtime.bigint();
    const answers = await pool(ids, 20, (id) => call('GET', `/v1/beneficiaries/${id}`));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };

  beforeAll(async () => {
    h = await startHarness();
    await h.setCallbackUrl('http://127.0.0.1:9/unused');
  });
  afterAll(async () => {
    agent.destroy();
    await h.close();
  });

  it('serves 10,000 beneficiaries with flat per-request cost', async () => {
    const first = await pool(
      Array.from({ length: 1_000 }, (_, i) => i),
      20,
      (i) => call('POST', '/v1/beneficiaries', individualPayload(`scale-${i}`)),
    );
    const firstIds = first.map((answer) => (JSON.parse(answer.body) as { id: string }).id);
    const lookupsAt1k = await timeLookups(firstIds);

    const rest = await pool(
      Array.from({ length: 9_000 }, (_, i) => i + 1_000),
      50,
      (i) => call('POST', '/v1/beneficiaries', individualPayload(`scale-${i}`)),
    );
    expect(rest.every((answer) => answer.status === 201)).toBe(true);
    const lastIds = rest.slice(-1_000).map((answer) => (JSON.parse(answer.body) as { id: string }).id);
    const lookupsAt10k = await timeLookups(lastIds);
    // Map lookups: the same 1,000 reads cost the same at 10,000 beneficiaries as at 1,000 (noise allowed for).
    expect(lookupsAt10k).toBeLessThan(lookupsAt1k * 2.5 + 100);

    expect((await call('POST', '/v1/beneficiaries', individualPayload('scale-9999'))).status).toBe(409);
    const sessions = await pool(lastIds.slice(-200), 20, (id) =>
      call('POST', `/v1/beneficiaries/${id}/verification`),
    );
    expect(sessions.every((answer) => answer.status === 201)).toBe(true);
    const stats = await h.admin<{ state: { beneficiaries: number; sessions: number } }>('/stats');
    expect(stats.json.state).toMatchObject({ beneficiaries: 10_000, sessions: 200 });
  });
});
