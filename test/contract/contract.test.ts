import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { wireContract, wireContractText } from '../../src/wire-contract';

const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');

describe('the wire contract (docs/contract.json, docs/contract.md)', () => {
  it('is committed as the TypeScript side states it (npm run contract writes it)', () => {
    expect(read('docs/contract.json')).toBe(wireContractText());
  });

  it('is described by contract.md: its version, its fingerprint and every name in it', () => {
    const contract = wireContract() as Record<string, unknown> & {
      startPolicies: Record<string, string>;
      searchAttributes: Record<string, string>;
      signals: object;
      updates: object;
      queries: object;
      failureTypes: object;
      memo: object;
    };
    const page = read('docs/contract.md');
    expect(page).toContain(`Contract version: **${String(contract.version)}**`);
    expect(page).toContain(`fingerprint: **${String(contract.fingerprint)}**`);
    const names = [
      contract.workflowType,
      contract.defaultTaskQueue,
      contract.workflowIdPrefix,
      ...Object.values(contract.startPolicies),
      ...Object.keys(contract.searchAttributes),
      ...Object.keys(contract.memo),
      ...Object.keys(contract.signals),
      ...Object.keys(contract.updates),
      ...Object.keys(contract.queries),
      ...Object.keys(contract.failureTypes),
    ] as string[];
    for (const name of names)
      expect({ name, described: page.includes(`\`${name}\``) }).toEqual({ name, described: true });
  });
});
