// fauxqs imports node:sqlite for its optional persistence, which the tests never turn on;
// Node 20 has no node:sqlite, so under Jest the module maps here (see jest.config.js).
export class DatabaseSync {
  constructor() {
    throw new Error('node:sqlite is not available on this Node version (stubbed in tests)');
  }
}
export class StatementSync {}
export default { DatabaseSync, StatementSync };
