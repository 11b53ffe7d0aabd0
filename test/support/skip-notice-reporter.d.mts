/** Types of skip-notice-reporter.mjs (plain JavaScript: jest loads reporters untransformed). */
import type { SkipNotice } from './requirements.js';

export function formatSkipNotices(notices: readonly SkipNotice[], options?: { color?: boolean }): string;
export function readSkipNotices(directory: string): SkipNotice[];

export default class SkipNoticeReporter {
  onRunComplete(): void;
  getLastError(): undefined;
}
