/** `npm run contract`: writes the workflow's wire contract, read from the TypeScript side, to docs/contract.json. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { wireContractText } from '../src/wire-contract';

const target = path.join(__dirname, '..', 'docs', 'contract.json');
writeFileSync(target, wireContractText());
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
