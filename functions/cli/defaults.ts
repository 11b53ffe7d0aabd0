/** Defaults shared by several commands, kept apart so that sharing them loads nothing else. */
export const DEFAULT_HOME = './.usage-pipeline';
