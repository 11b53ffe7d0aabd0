#!/usr/bin/env node
// Runs the TypeScript sources directly (through tsx), so the command works right after `npm ci`.
import { register } from 'tsx/esm/api';

// The AWS SDK's notice that its 2027 releases need Node 22 is not actionable for CLI users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../functions/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
