/** Types of global-temp.mjs (plain JavaScript: jest loads its global setup untransformed). */
export const ROOT_VARIABLE: string;
export const KEEP_FILE: string;
export function setup(): void;
export function teardown(): void;
