/**
 * The file store's reads: `getInto` gives what `get` gives, read into the caller's buffer, which
 * the next read re-uses; a missing key is null either way.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { FsObjectStore } from '../../functions/adapters/fs-object-store.js';
import { ReusableBuffer } from '../../functions/core/reusable-buffer.js';
import { tempDir } from '../support/temp.js';

describe('FsObjectStore reads', () => {
  it('reads into a re-used buffer what get reads', async () => {
    const root = await tempDir();
    const store = new FsObjectStore(root);
    await store.put('events/prod/20250301', 'x'.repeat(100_000));
    await store.put('events/prod/20250302', 'short');
    const space = new ReusableBuffer();
    const first = await store.getInto('events/prod/20250301', space);
    const expected = await store.get('events/prod/20250301');
    expect(first).toEqual(expected);
    const second = await store.getInto('events/prod/20250302', space);
    expect(Buffer.from(second!.body).toString()).toBe('short');
    // The same memory: the first body is overwritten by the second read.
    expect(second!.body.buffer).toBe(first!.body.buffer);
    expect(second!.size).toBe(5);
    expect(await store.getInto('events/prod/20250303', space)).toBeNull();
    await fs.mkdir(path.join(root, 'a-directory'));
    expect(await store.getInto('a-directory', space)).toBeNull();
  });
});
