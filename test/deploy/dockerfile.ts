/** A Dockerfile read into its stages and instructions: enough to check what the image copies and runs. */
import { readFileSync } from 'node:fs';

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  line: number;
}

export interface Stage {
  name: string | null;
  from: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const before: Instruction[] = [];
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const start = index;
    let logical = lines[index] ?? '';
    if (/^\s*(#|$)/.test(logical)) continue;
    while (logical.endsWith('\\') && index + 1 < lines.length) {
      index += 1;
      const next = lines[index] ?? '';
      if (/^\s*#/.test(next)) continue;
      logical = `${logical.slice(0, -1)} ${next.trim()}`;
    }
    const match = /^\s*(\w+)\s+(.*)$/.exec(logical);
    if (!match) throw new Error(`Dockerfile line ${start + 1}: cannot read "${logical}"`);
    const instruction = { keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: start + 1 };
    if (instruction.keyword === 'FROM') {
      const [from, as, name] = instruction.args.split(/\s+/);
      stages.push({
        from: from!,
        name: as?.toUpperCase() === 'AS' ? (name ?? null) : null,
        instructions: [],
      });
    } else if (stages.length === 0) before.push(instruction);
    else stages[stages.length - 1]!.instructions.push(instruction);
  }
  return { args: before, stages };
}

export function readDockerfile(file: string): ReturnType<typeof parseDockerfile> {
  return parseDockerfile(readFileSync(file, 'utf8'));
}

/** An exec-form (JSON array) argument, e.g. of ENTRYPOINT; null in shell form. */
export function execForm(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : null;
}

/** A COPY's sources and destination, and the stage it copies from (null: the build context). */
export function copyOf(instruction: Instruction): {
  from: string | null;
  sources: string[];
  destination: string;
} {
  const words = instruction.args.split(/\s+/);
  let from: string | null = null;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!;
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
  }
  const destination = words.pop();
  if (!destination || words.length === 0) throw new Error(`COPY on line ${instruction.line} needs a source`);
  return { from, sources: words, destination };
}
