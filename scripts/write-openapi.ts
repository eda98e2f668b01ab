/**
 * `npm run openapi`: writes the HTTP API's OpenAPI document, generated from its zod schemas, to
 * docs/openapi.json (formatted as prettier would), the copy integrators read and a test keeps current.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openApiDocumentText } from '../src/api/openapi';

const target = path.join(__dirname, '..', 'docs', 'openapi.json');
writeFileSync(target, openApiDocumentText());
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
