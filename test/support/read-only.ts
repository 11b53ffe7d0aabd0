/**
 * Makes a directory read-only for one command, for real: the tests run as root, whom file modes
 * do not stop. As root, the command runs in a private mount namespace where the directory is a
 * read-only bind mount of itself (writes fail with EROFS, as on a read-only disk); as any other
 * user, the directory's write permission is taken away (EACCES). Either way the kernel refuses
 * the write; a probe proves it before the command runs, so a test can never pass by accident.
 *
 * A directory inside a tree the command otherwise writes (so that the failure comes midway, not
 * at a check up front) is made immutable instead (`chattr +i`, EPERM, even for root).
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { runCli, type CliOptions, type CliResult } from './cli.js';

const MOUNT_READ_ONLY = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"';

function run(command: string, args: readonly string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile(command, args, (error, _stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr })),
  );
}

/** The command prefix under which `directory` is read-only. */
async function readOnlyWrapper(directory: string): Promise<{ wrapper: string[]; restore: () => Promise<void> }> {
  if (process.getuid?.() === 0) {
    return { wrapper: ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', MOUNT_READ_ONLY, 'sh', directory], restore: async () => {} };
  }
  const { mode } = await fs.stat(directory);
  await fs.chmod(directory, mode & ~0o222);
  return { wrapper: [], restore: () => fs.chmod(directory, mode) };
}

/** Runs the real CLI with `directory` read-only; throws if this machine cannot make it so. */
export async function runCliWithReadOnly(directory: string, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const { wrapper, restore } = await readOnlyWrapper(directory);
  try {
    const probeFile = path.join(directory, 'write-probe');
    const [command, ...rest] = [...wrapper, 'touch', probeFile];
    const probe = await run(command as string, rest);
    const written = await fs.rm(probeFile).then(() => true, () => false);
    const refused = probe.code !== 0 && !written && /read-only file system|permission denied/i.test(probe.stderr);
    if (!refused) throw new Error(`cannot make ${directory} read-only on this machine (probe: exit ${probe.code}, ${probe.stderr.trim()})`);
    return await runCli(args, { ...options, wrapper: [...wrapper, ...(options.wrapper ?? [])] });
  } finally {
    await restore();
  }
}

/** Runs the real CLI with `directory` immutable (root) or without write permission (others). */
export async function runCliWithUnwritable(directory: string, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const root = process.getuid?.() === 0;
  const { mode } = await fs.stat(directory);
  const lock = root ? () => run('chattr', ['+i', directory]) : () => fs.chmod(directory, mode & ~0o222).then(() => ({ code: 0, stderr: '' }));
  const unlock = root ? () => run('chattr', ['-i', directory]) : () => fs.chmod(directory, mode).then(() => ({ code: 0, stderr: '' }));
  const locked = await lock();
  try {
    const probeFile = path.join(directory, 'write-probe');
    const written = await fs.writeFile(probeFile, '').then(() => true, () => false);
    if (locked.code !== 0 || written) throw new Error(`cannot make ${directory} unwritable on this machine (${locked.stderr.trim() || 'the probe was written'})`);
    return await runCli(args, options);
  } finally {
    await unlock();
    await fs.rm(path.join(directory, 'write-probe'), { force: true });
  }
}
