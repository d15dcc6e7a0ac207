/** `npm start` in this folder: run the example on the wasm backend and print what happens. */
import { initBackend } from '@pir/runtime';
import { runCustomEncoderExample } from './run.js';

const backend = await initBackend();
console.log(`backend: ${backend.name}${backend.threads ? ` (${backend.threads} threads)` : ''}`);
const { before, after } = await runCustomEncoderExample({ log: (line) => console.log(line) });
console.log(`mR ${before.mR.toFixed(2)} → ${after.mR.toFixed(2)}`);
process.exit(0); // wasm worker threads keep Node alive otherwise
