#!/usr/bin/env -S node --max-semi-space-size=32 --min-semi-space-size=32
// Thin launcher: the CLI is compiled from src/cli by `npm run build`.
//
// Why the V8 flags: a running pipeline allocates a few hundred MB/s of short-lived lines and
// events. With V8's default young generation (16 MiB semi-spaces) batches still in flight are
// promoted to the old generation and collected there: at 100,000 syslog lines/s that doubled
// the process's CPU (about 0.6 core of GC helper threads) and raised peak RSS; 32 MiB keeps
// them young. Starting at that size too (instead of growing from 1 MiB over the first
// collections, which promote short-lived objects meanwhile) saves 3 % of `report`'s work on
// 1M lines, for 14 MiB more peak RSS. See benchmarks/README.md ("What changed the numbers").
// `node bin/mailsight.js` runs without them; `mailsight run` logs the young generation it got.
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.stack : err); process.exitCode = 1; },
);
