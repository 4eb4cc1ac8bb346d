#!/usr/bin/env node
// The `tabtrain` command. Runs the TypeScript sources through tsx, so the CLI and the web
// worker execute the very same engine files with no separate build.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
