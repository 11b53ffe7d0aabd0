/// <reference lib="dom" />
/**
 * What a screenshot shows, in colours: the PNG is decoded by the browser that took it (no image
 * library), and its pixels counted by exact colour.
 */
import type { BrowserContext, Page } from 'playwright-core';

/** A colour as `#rrggbb`, and the share of the screenshot's pixels that have it. */
export interface ColourShare {
  readonly colour: string;
  readonly share: number;
}

/** Every colour of a PNG screenshot, most common first. */
export async function screenshotColours(context: BrowserContext, png: Buffer): Promise<ColourShare[]> {
  const page = await context.newPage();
  try {
    return await page.evaluate(
      async (base64) => {
        const image = new Image();
        image.src = `data:image/png;base64,${base64}`;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = image.naturalWidth;
        canvas.height = image.naturalHeight;
        const context = canvas.getContext('2d');
        if (!context) throw new Error('no 2d canvas to decode the screenshot on');
        context.drawImage(image, 0, 0);
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        const counts = new Map<number, number>();
        for (let i = 0; i < data.length; i += 4) {
          const rgb = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
          counts.set(rgb, (counts.get(rgb) ?? 0) + 1);
        }
        const pixels = data.length / 4;
        return [...counts]
          .sort((a, b) => b[1] - a[1])
          .map(([rgb, n]) => ({ colour: `#${rgb.toString(16).padStart(6, '0')}`, share: n / pixels }));
      },
      png.toString('base64'),
    );
  } finally {
    await page.close();
  }
}

/** The page's own value of a CSS colour variable (`--bg`), as `#rrggbb`. */
/** The share of the pixels in exactly this colour (0 when there are none). */
export function shareOf(colours: readonly ColourShare[], colour: string): number {
  return colours.find((entry) => entry.colour === colour)?.share ?? 0;
}

export async function cssColour(page: Page, variable: string): Promise<string> {
  return page.evaluate((name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim().toLowerCase(), variable);
}

/** Relative luminance (WCAG) of `#rrggbb`: 0 is black, 1 is white. */
export function luminance(colour: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(colour.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
