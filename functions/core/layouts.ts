/** The published layouts: `date` always (the web UI reads it), the others optional. */
export const LAYOUTS = ['date', 'channel', 'event', 'summary'] as const;
export type Layout = (typeof LAYOUTS)[number];
export const DEFAULT_LAYOUTS: readonly Layout[] = ['date', 'summary'];

export function parseLayouts(text: string): Layout[] {
  const names = text.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(LAYOUTS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown layout ${unknown.map((n) => JSON.stringify(n)).join(', ')} (known: ${LAYOUTS.join(', ')})`);
  if (!names.includes('date')) throw new Error('the "date" layout is always built (the web UI reads it); add it to the list');
  return [...new Set(names)] as Layout[];
}
