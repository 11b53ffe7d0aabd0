import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { channelDayPath, eventChannelPath, safeSegment } from '../../functions/core/site-paths.js';
import type { Day } from '../../functions/core/days.js';

const hostile = ['../x', '..', '.', 'a/b', '', 'x'.repeat(1024), 'a\u0000b\nc\u007f', '\u{1F4DE}\u{1F600}', '~', '%2F', 'a\\b', ' ', '.hidden', '\ud800'];

describe('safeSegment', () => {
  it('keeps ordinary channel and event names as the old generator wrote them', () => {
    expect(safeSegment('PJSIP-630')).toBe('PJSIP-630');
    expect(safeSegment('outgoing-portland_menu.v2')).toBe('outgoing-portland_menu.v2');
  });

  it.each(hostile.map((name) => [JSON.stringify(name).slice(0, 40), name]))('makes %s a single, safe, bounded segment', (_label, name) => {
    const segment = safeSegment(name);
    expect(segment).not.toBe('');
    expect(segment).not.toBe('.');
    expect(segment).not.toBe('..');
    expect(segment).not.toMatch(/[/\\\u0000-\u001f\u007f]/);
    expect(segment).toMatch(/^[A-Za-z0-9_.%~-]+$/);
    expect(Buffer.byteLength(segment)).toBeLessThanOrEqual(120);
  });

  it('never maps two different names to one segment', () => {
    const names = [...hostile, 'x'.repeat(1025), 'a%2Fb', '%', '%25'];
    const segments = names.map(safeSegment);
    expect(new Set(segments).size).toBe(names.length);
  });

  it('builds paths that stay inside data/', () => {
    const root = path.resolve('/srv/site/data');
    for (const name of hostile) {
      for (const relative of [channelDayPath(name, '20250301' as Day), eventChannelPath(name, name)]) {
        const resolved = path.resolve(root, relative);
        expect(resolved.startsWith(`${root}${path.sep}`)).toBe(true);
        expect(relative.split('/')).toHaveLength(relative.startsWith('channel/') ? 6 : 4);
      }
    }
  });
});
