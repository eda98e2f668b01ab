/**
 * The container image's /app, laid out on this machine without a container engine: the runtime stage's
 * `npm ci --omit=dev` (every package of package-lock.json not marked `dev`, at the place the lock gives it,
 * linked from the installed node_modules) and the build stage's `npm run build` output (dist/ with
 * dist/workflow-bundle.js), so that the image's entry commands can be run exactly as the image runs them.
 */
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../dev/tool-paths';

const run = promisify(execFile);

interface LockEntry {
  dev?: boolean;
  optional?: boolean;
  link?: boolean;
}

/** The lock's packages that `npm ci --omit=dev` installs, as paths like `node_modules/a/node_modules/b`. */
export function productionPackages(root = PROJECT_ROOT): string[] {
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  return Object.entries(lock.packages)
    .filter(([location, entry]) => location !== '' && !entry.dev)
    .filter(([location, entry]) => !(entry.optional && !existsSync(path.join(root, location))))
    .map(([location]) => location);
}

/** Hard links (a copy across file systems) of a package's own files; its nested packages are entries of their own. */
function linkPackage(from: string, to: string, isPackageRoot = true): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (isPackageRoot && entry.name === 'node_modules') continue;
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else if (entry.isDirectory()) linkPackage(source, target, false);
    else {
      try {
        linkSync(source, target);
      } catch {
        copyFileSync(source, target);
      }
    }
  }
}

/** The runtime stage's node_modules in `appDir`, from the lock and the installed packages. */
export function layProductionDependencies(appDir: string, root = PROJECT_ROOT): string[] {
  const installed = realpathSync(path.join(root, 'node_modules'));
  const packages = productionPackages(root);
  for (const location of packages) {
    const relative = path.relative('node_modules', location);
    linkPackage(path.join(installed, relative), path.join(appDir, 'node_modules', relative));
  }
  for (const file of ['package.json', 'package-lock.json']) {
    copyFileSync(path.join(root, file), path.join(appDir, file));
  }
  return packages;
}

/** The build stage's `npm run build`, whose dist/ the image copies; in the project, as the image builds it. */
export async function buildDist(): Promise<string> {
  await run('npm', ['run', '--silent', 'build'], { cwd: PROJECT_ROOT });
  return path.join(PROJECT_ROOT, 'dist');
}

/** A fresh image layout under test-results/ (git-ignored): production dependencies and the built dist/. */
export async function layImage(name: string): Promise<{ appDir: string; packages: string[] }> {
  const appDir = path.join(PROJECT_ROOT, 'test-results', name, 'app');
  rmSync(appDir, { recursive: true, force: true });
  mkdirSync(appDir, { recursive: true });
  const packages = layProductionDependencies(appDir);
  linkPackage(await buildDist(), path.join(appDir, 'dist'), false);
  return { appDir, packages };
}
