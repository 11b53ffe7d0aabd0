/**
 * The charts page, built ahead of time for environments without esbuild (Lambda). The Lambda
 * bundler replaces this module with one that holds the built files (base64 by path); when it
 * has not, the page is built on the spot.
 */
import { buildChartsFiles } from './page-files.js';

export const PREBUILT_CHARTS: Readonly<Record<string, string>> | null = null;

export async function chartsFiles(): Promise<Map<string, Uint8Array>> {
  if (PREBUILT_CHARTS) return new Map(Object.entries(PREBUILT_CHARTS).map(([path, base64]) => [path, Buffer.from(base64, 'base64')]));
  return buildChartsFiles();
}
