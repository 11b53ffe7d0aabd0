/** See source-bundle.mjs. */
export function bundledEntry(options?: { projectRoot?: string; entry?: string; cacheDirectory?: string }): Promise<string | null>;
