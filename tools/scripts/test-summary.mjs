#!/usr/bin/env node
// Reads vitest's JSON report and prints the one line CI looks for: "N passed, N failed[, N skipped]".
// Extra failures (e.g. a failed build or publint step) can be added with --extra-failed=N.
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-results.json';
const extra = Number((process.argv.find((a) => a.startsWith('--extra-failed=')) ?? '=0').split('=')[1]);
let passed = 0;
let failed = extra;
let skipped = 0;
if (existsSync(file)) {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed = r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  // a test file that failed to load has no tests in it: count it as a failure
  for (const s of r.testResults ?? [])
    if (s.status === 'failed' && (s.assertionResults ?? []).length === 0) failed++;
} else {
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
