/** `usage-pipeline serve`: the locally published site over HTTP, to open the charts page. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { startStaticServer } from '../../../local/static-server.js';
import { DEFAULT_HOME } from '../defaults.js';
import { UserFacingError } from '../errors.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the published site of the embedded default (HOME/site) on this machine, to open the charts page')
    .option('--home <dir>', 'the embedded default\'s home', DEFAULT_HOME)
    .option('--port <port>', 'port on 127.0.0.1', '8080')
    .action(async (flags: { home: string; port: string }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new UserFacingError(`--port: ${JSON.stringify(flags.port)} is not a port number`);
      const root = path.join(path.resolve(flags.home), 'site');
      const stat = await fs.stat(root).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOTDIR') throw new UserFacingError(`--home ${path.resolve(flags.home)} is a file, not a directory`);
        return null;
      });
      if (!stat) throw new UserFacingError(`HOME/site ${root} does not exist: nothing is published there yet (run usage-pipeline local --home ${flags.home} first)`);
      if (!stat.isDirectory()) throw new UserFacingError(`HOME/site ${root} is a file, not a directory`);
      const server = await startStaticServer({ root, port }).catch((error: NodeJS.ErrnoException) => {
        throw new UserFacingError(`cannot listen on 127.0.0.1:${port}: ${error.code ?? error.message}`);
      });
      process.stdout.write(`serving ${root}\ncharts: ${server.origin}/charts/\ndata:   ${server.origin}/data/\n(Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    });
}
