import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { SERVICE_PARTS } from '../../src/service/config';
import { copyOf, execForm, readDockerfile } from './dockerfile';
import { hadolintPath, nodeLtsVersion } from './deploy-tools';

const run = promisify(execFile);
const DOCKERFILE = path.join(PROJECT_ROOT, 'Dockerfile');

async function hadolint(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(hadolintPath(), ['--no-color', file]);
    return { code: 0, output: stdout };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('the Dockerfile', () => {
  const dockerfile = readDockerfile(DOCKERFILE);
  const runtime = dockerfile.stages[dockerfile.stages.length - 1]!;
  const last = (keyword: string) => runtime.instructions.filter((i) => i.keyword === keyword).pop();

  it('passes hadolint, which flags the mistakes it is there for', async () => {
    expect(await hadolint(DOCKERFILE)).toEqual({ code: 0, output: '' });
    // The same linter on a shell-form entry and an untagged base: it really reads what it is given.
    const bad = path.join(PROJECT_ROOT, 'test/deploy/fixtures/Dockerfile.shell-form');
    const answer = await hadolint(bad);
    expect(answer.code).not.toBe(0);
    expect(answer.output).toContain('DL3006');
    expect(answer.output).toContain('DL3025');
  });

  it('copies only paths that exist in the build context, and none that .dockerignore leaves out', () => {
    const ignored = readFileSync(path.join(PROJECT_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const fromContext = dockerfile.stages
      .flatMap((stage) => stage.instructions)
      .filter((i) => i.keyword === 'COPY')
      .map(copyOf)
      .filter((copy) => copy.from === null)
      .flatMap((copy) => copy.sources);
    expect(fromContext).toEqual(expect.arrayContaining(['package-lock.json', 'src']));
    for (const source of fromContext) {
      expect({ source, exists: existsSync(path.join(PROJECT_ROOT, source)) }).toEqual({
        source,
        exists: true,
      });
      const top = source.split('/')[0]!;
      expect({ source, ignored: ignored.includes(top) }).toEqual({ source, ignored: false });
    }
  });

  it('builds in one stage and copies only dist/ from it into the runtime stage', () => {
    expect(dockerfile.stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    const build = dockerfile.stages[0]!.instructions.map((i) => `${i.keyword} ${i.args}`);
    expect(build).toEqual(expect.arrayContaining(['RUN npm ci --no-audit --no-fund', 'RUN npm run build']));
    const fromBuild = runtime.instructions
      .filter((i) => i.keyword === 'COPY')
      .map(copyOf)
      .filter((copy) => copy.from !== null);
    expect(fromBuild).toEqual([{ from: 'build', sources: ['/app/dist'], destination: './dist' }]);
    const installs = runtime.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(installs).toEqual([expect.stringMatching(/^npm ci --omit=dev /)]);
  });

  it('runs node itself on the compiled entry, as a numeric non-root user, on the Node LTS of the tests', () => {
    expect(execForm(last('ENTRYPOINT')!.args)).toEqual(['node', 'dist/main.js']);
    const command = execForm(last('CMD')!.args);
    expect(command).toHaveLength(1);
    expect(SERVICE_PARTS).toContain(command![0]);
    expect(last('USER')!.args).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(last('HEALTHCHECK')!.args).toMatch(/CMD \["node", "dist\/healthcheck\.js"\]$/);
    expect(runtime.instructions.find((i) => i.keyword === 'ENV')!.args).toContain(
      'WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js',
    );

    const version = dockerfile.args.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_VERSION='));
    expect(version?.args).toBe(`NODE_VERSION=${nodeLtsVersion()}`);
    for (const stage of dockerfile.stages) expect(stage.from).toBe('node:${NODE_VERSION}-trixie-slim');
  });
});
