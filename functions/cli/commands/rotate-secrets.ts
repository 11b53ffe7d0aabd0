/** `usage-pipeline rotate-secrets`: a new IAM access key into the repository's Actions secrets, the old one retired. */
import { Command, Option } from 'commander';
import type { RotationReport, RotationStep } from '../../rotation/model.js';
import { rotateWithConfig, checkRotationConfig } from '../../wiring/rotation.js';
import { tokenFromEnvironment } from '../../adapters/github-token.js';
import { UserFacingError } from '../errors.js';
import { RUNTIME_DEFAULTS, VARIABLES } from '../../config/environment.js';

/** Exit status when the rotation stopped part-way in a safe state that needs a person (both keys active, an old key left). */
export const EXIT_INCOMPLETE = 3;

interface RotateFlags {
  repo: string;
  user: string;
  queueUrl?: string;
  dryRun?: boolean;
  json?: boolean;
  githubApiUrl?: string;
  iamEndpoint?: string;
  verifyTimeout: string;
  verifyInterval: string;
}

export function rotateSecretsCommand(): Command {
  return new Command('rotate-secrets')
    .description("rotate the IAM access key kept in a repository's Actions secrets (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, QUEUE_URL)")
    .requiredOption('--repo <owner/name>', 'the GitHub repository holding the secrets')
    .requiredOption('--user <iam-user>', 'the IAM user whose key the secrets hold')
    .option('--queue-url <url>', 'also write this to QUEUE_URL (left alone otherwise)')
    .option('--dry-run', 'read everything and report what would happen; change nothing')
    .option('--json', 'print the report as one JSON object')
    .option('--github-api-url <url>', 'GitHub API base URL (default: $GITHUB_API_URL, else https://api.github.com)')
    .option('--iam-endpoint <url>', 'IAM endpoint override (a local emulator)')
    .addOption(new Option('--verify-timeout <seconds>', 'how long to wait for the new key to work').default(String(RUNTIME_DEFAULTS.rotationVerifyTimeoutSeconds)).hideHelp())
    .addOption(new Option('--verify-interval <ms>', 'first pause between checks of the new key').default('2000').hideHelp())
    .addHelpText(
      'after',
      `
GITHUB_TOKEN (or GH_TOKEN) must hold a token allowed to write the repository's Actions secrets;
IAM calls use the usual AWS credential chain. No secret value is ever printed.
Exit status: 0 rotated (or dry run), 1 refused or rolled back (the secrets still hold the old key), 3 stopped
part-way in a safe state that needs a person (see the report).`,
    )
    .action(async (flags: RotateFlags) => {
      // A ConfigurationError is user-facing: the CLI prints its message as it stands.
      checkRotationConfig({ repository: flags.repo, user: flags.user, ...(flags.queueUrl !== undefined ? { queueUrl: flags.queueUrl } : {}) });
      const token = tokenFromEnvironment('may write the Actions secrets of the repository');
      const verifyTimeout = Number(flags.verifyTimeout);
      const verifyInterval = Number(flags.verifyInterval);
      if (!(verifyTimeout > 0) || !(verifyInterval > 0)) throw new UserFacingError('--verify-timeout and --verify-interval must be positive numbers');
      const githubApiUrl = flags.githubApiUrl ?? process.env[VARIABLES.githubApiUrl.name];

      const report = await rotateWithConfig({
        repository: flags.repo,
        user: flags.user,
        githubToken: token,
        ...(githubApiUrl ? { githubApiUrl } : {}),
        ...(flags.iamEndpoint ? { iamEndpoint: flags.iamEndpoint } : {}),
        ...(flags.queueUrl !== undefined ? { queueUrl: flags.queueUrl } : {}),
        dryRun: flags.dryRun ?? false,
        verify: { timeoutMs: verifyTimeout * 1000, initialDelayMs: verifyInterval },
        ...(flags.json ? {} : { onStep: (step: RotationStep) => process.stderr.write(`${formatStep(step)}\n`) }),
      });
      process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : describe(report));
      if (report.ok) return;
      throw new UserFacingError(`${report.outcome}: ${report.error ?? 'see the report'}`, report.outcome === 'incomplete' ? EXIT_INCOMPLETE : 1);
    });
}

function formatStep(step: RotationStep): string {
  return `  ${step.status === 'done' ? '✓' : step.status === 'failed' ? '✗' : step.status === 'planned' ? '·' : '-'} ${step.step}${step.detail ? `: ${step.detail}` : ''}`;
}

function describe(r: RotationReport): string {
  const headline: Record<RotationReport['outcome'], string> = {
    rotated: `rotated the access key of IAM user ${r.user} in ${r.repository}`,
    'dry-run': `dry run: would rotate the access key of IAM user ${r.user} in ${r.repository}`,
    refused: `did not rotate the access key of IAM user ${r.user}: nothing was changed`,
    'rolled-back': `rotation of IAM user ${r.user}'s key failed and was rolled back`,
    incomplete: `rotation of IAM user ${r.user}'s key stopped part-way: needs attention`,
  };
  const lines = [headline[r.outcome]];
  if (r.oldKey) lines.push(`  old key: ${r.oldKey}`);
  if (r.newKey) lines.push(`  new key: ${r.newKey}${r.verifyAttempts ? ` (checked ${r.verifyAttempts} time(s))` : ''}`);
  if (r.deletedInactiveKey) lines.push(`  deleted inactive key: ${r.deletedInactiveKey}`);
  lines.push(`  secrets ${r.dryRun ? 'to write' : 'written'}: ${r.secrets.length > 0 ? r.secrets.join(', ') : 'none'}`);
  if (r.keys) lines.push(`  keys now: ${r.keys.length > 0 ? r.keys.map((k) => `${k.key} ${k.status.toLowerCase()}`).join(', ') : 'none'}`);
  if (r.dryRun) lines.push('  steps:', ...r.steps.filter((s) => s.status === 'planned').map(formatStep));
  for (const warning of r.warnings) lines.push(`  warning: ${warning}`);
  return `${lines.join('\n')}\n`;
}
