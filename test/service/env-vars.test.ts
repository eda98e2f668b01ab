import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CALIZA_ENV_VARS } from '../../src/caliza/config';
import { ENV_VARS, declaredNames } from '../../src/service/env-vars';
import { README_PATH, configurationRows } from '../../scripts/config-table';

const ROOT = path.join(__dirname, '..', '..');
const declared = ENV_VARS.flatMap(declaredNames);

function isDeclared(name: string): boolean {
  return declared.some((d) => (d.endsWith('*') ? name.startsWith(d.slice(0, -1)) : d === name));
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return sources(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

/** Variable names the code reads: through an EnvReader, a `FromEnv` helper's env object, or a name constant. */
function namesReadIn(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const patterns = [
    /\bread\.(?:text|list|integer|number|boolean|oneOf|port)\('([A-Z][A-Z0-9_]+)'/g,
    /\benv\.([A-Z][A-Z0-9_]+)\b/g,
    /\benv\[['"]([A-Z][A-Z0-9_]+)['"]\]/g,
    /_VARIABLE = '([A-Z][A-Z0-9_]+)'/g,
  ];
  return patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((match) => match[1] as string));
}

describe('environment variable declarations', () => {
  it('the README configuration table is the one generated from the declarations', () => {
    const rows = configurationRows(readFileSync(README_PATH, 'utf8'));
    expect(rows).toEqual(ENV_VARS.map((v) => [v.variable, v.default, v.meaning]));
  });

  it('declares every variable that the service, the launcher, the Caliza double and the cluster script read', () => {
    const files = ['src', 'dev', 'caliza-double', 'scripts/cluster'].flatMap((dir) =>
      sources(path.join(ROOT, dir)),
    );
    const read = new Set(files.flatMap(namesReadIn));
    for (const { name } of CALIZA_ENV_VARS) read.add(name);
    expect([...read]).toEqual(
      expect.arrayContaining(['WEBHOOK_PORT', 'CODEC_PORT', 'SANDBOX_PORT', 'LOG_FORMAT', 'CLUSTER_PG_PORT']),
    );
    expect([...read].filter((name) => !isDeclared(name)).sort()).toEqual([]);
  });

  it('documents every variable of a family in the page its row points to', () => {
    const doubleDoc = readFileSync(path.join(ROOT, 'docs', 'caliza-double.md'), 'utf8');
    const doubleVars = new Set(namesReadIn(path.join(ROOT, 'caliza-double', 'env.ts')));
    expect(doubleVars.size).toBeGreaterThan(20);
    expect([...doubleVars].filter((name) => !doubleDoc.includes(name)).sort()).toEqual([]);
  });

  it('names each variable once', () => {
    expect(new Set(declared).size).toBe(declared.length);
  });
});
