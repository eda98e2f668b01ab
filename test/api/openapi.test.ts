import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openApiDocumentText, startApiServer } from '../../src/api';
import { API_ROUTES } from '../../src/api/routes';
import type { VerificationApi } from '../../src/api/verification-api';
import { PROJECT_ROOT } from '../../dev/tool-paths';

describe('OpenAPI document', () => {
  it('is committed as generated from the schemas (npm run openapi writes it)', () => {
    const committed = readFileSync(path.join(PROJECT_ROOT, 'docs/openapi.json'), 'utf8');
    expect(committed).toBe(openApiDocumentText());
  });

  it('describes every operation the app serves, and is served at /openapi.json without a key', async () => {
    const document = JSON.parse(openApiDocumentText()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths).flatMap(([route, methods]) =>
      Object.entries(methods).map(
        ([method, operation]) => `${method.toUpperCase()} ${route} ${operation.operationId}`,
      ),
    );
    expect(documented.sort()).toEqual(
      API_ROUTES.map((route) => `${route.method} ${route.path} ${route.operationId}`).sort(),
    );
    // Served by the app itself, on a real port; no Temporal call is made for it.
    const server = await startApiServer({
      api: {} as VerificationApi,
      keyHashes: [],
      port: 0,
      host: '127.0.0.1',
    });
    try {
      const served = await fetch(`${server.url}/openapi.json`);
      expect(served.status).toBe(200);
      expect(await served.json()).toEqual(document);
    } finally {
      await server.close();
    }
  });
});
