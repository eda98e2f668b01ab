/**
 * The README's configuration table, generated from the declarations in src/service/env-vars.ts:
 * `npm run docs:config` rewrites it between its markers and lets Prettier lay it out as it does every other
 * table; test/service/env-vars.test.ts fails while the README and the declarations disagree.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ENV_VARS } from '../src/service/env-vars';

export const README_PATH = path.join(__dirname, '..', 'README.md');
const START = /<!-- config-table:start[^>]*-->/;
const END = '<!-- config-table:end -->';

export function configurationTable(): string {
  const rows = ENV_VARS.map((v) => `| ${v.variable} | ${v.default} | ${v.meaning} |`);
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

function bounds(readme: string): { from: number; to: number } {
  const start = START.exec(readme);
  const to = readme.indexOf(END);
  if (!start || to < start.index) throw new Error('README.md has no config-table markers');
  return { from: start.index + start[0].length, to };
}

/** `readme` with the text between the markers replaced by `table`. */
export function replaceConfigurationTable(readme: string, table: string): string {
  const { from, to } = bounds(readme);
  return `${readme.slice(0, from)}\n\n${table}\n\n${readme.slice(to)}`;
}

/** The cells of each row between the markers, header and separator left out, whatever the padding. */
export function configurationRows(markdown: string): string[][] {
  const { from, to } = bounds(markdown);
  return markdown
    .slice(from, to)
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim()),
    )
    .slice(2);
}

if (require.main === module) {
  writeFileSync(
    README_PATH,
    replaceConfigurationTable(readFileSync(README_PATH, 'utf8'), configurationTable()),
  );
  execFileSync(process.execPath, [require.resolve('prettier/bin/prettier.cjs'), '--write', README_PATH], {
    stdio: 'inherit',
  });
}
