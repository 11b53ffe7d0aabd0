#!/usr/bin/env node
// Runs the command from a bundle of its TypeScript sources, made again whenever one changes
// (functions/support/source-bundle.mjs); where no bundle can be made, from the sources
// through tsx. Either way it works right after `npm ci`.

// The AWS SDK's notice that its 2027 releases need Node 22 is not actionable for CLI users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { bundledEntry } = await import('../functions/support/source-bundle.mjs');
const bundle = await bundledEntry();
let main;
if (bundle) {
  // Stack traces of unexpected errors name the sources, as they do through tsx.
  process.setSourceMapsEnabled(true);
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../functions/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
