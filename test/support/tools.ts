/** Where the tools some suites need are on this machine (no jest here: scripts use it too). */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** An executable of that name on PATH, or undefined. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const directory of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/** CHROMIUM_PATH, or the first Chromium or Chrome on PATH. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM_PATH) return existsSync(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : undefined;
  for (const name of CHROMIUM_NAMES) {
    const found = onPath(name, env);
    if (found) return found;
  }
  return undefined;
}

/**
 * The Python that runs the moto launcher: MOTO_PYTHON, else the interpreter `moto_server` was
 * installed for (its `#!` line), else `python3`.
 */
export function motoPython(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MOTO_PYTHON) return env.MOTO_PYTHON;
  const server = onPath('moto_server', env);
  if (server) {
    const shebang = /^#!\s*(\S+python[\d.]*)\s*$/m.exec(readFileSync(server, 'utf8').split('\n', 1)[0] ?? '');
    if (shebang?.[1] && existsSync(shebang[1])) return shebang[1];
  }
  return 'python3';
}

