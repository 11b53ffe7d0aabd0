/** Shared set-up for tests that run the whole pipeline locally. */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fixture } from './fixtures.js';

const run = promisify(execFile);

/**
 * The messages of an events file as their publisher sent them: an SNS envelope gives its
 * `Message`, any other line is taken as it is. For publishing a recorded file through a topic
 * again; `local --events` replays the envelopes themselves (events-file.ts).
 */
export function messagesFromEventsFile(text: string): string[] {
  const messages: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let envelope: unknown;
    try {
      envelope = JSON.parse(line);
    } catch {
      messages.push(line);
      continue;
    }
    const { Type, Message } = (envelope ?? {}) as { Type?: unknown; Message?: unknown };
    messages.push(Type === 'Notification' && typeof Message === 'string' ? Message : line);
  }
  return messages;
}

export async function fixtureMessages(): Promise<string[]> {
  return messagesFromEventsFile(await fs.readFile(fixture('messages', 'sns-20250301.ndjson'), 'utf8'));
}

/** A file on the published branch, read with git itself. */
export async function fileOnBranch(site: string, file: string, branch = 'gh-pages'): Promise<Buffer> {
  const { stdout } = await run('git', ['-C', site, 'show', `${branch}:${file}`], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  return stdout as unknown as Buffer;
}

export async function commitsOnBranch(site: string, branch = 'gh-pages'): Promise<string[]> {
  try {
    const { stdout } = await run('git', ['-C', site, 'rev-list', branch]);
    return stdout.trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

export async function filesChangedBy(site: string, commit: string): Promise<string[]> {
  const { stdout } = await run('git', ['-C', site, 'show', '--name-only', '--format=', commit]);
  return stdout.trim().split('\n').filter(Boolean).sort();
}

/** Keys of a directory-backed bucket under a prefix. */
export async function bucketKeys(bucket: string, prefix: string): Promise<string[]> {
  const root = path.join(bucket, prefix);
  try {
    const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => path.relative(bucket, path.join(e.parentPath, e.name))).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
