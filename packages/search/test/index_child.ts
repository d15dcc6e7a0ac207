/**
 * Child of `kill.node.test.ts`: index `<images>` into `<store>` with the model directory `<model>`, 4 images a
 * batch, printing `BATCH <done>` after each committed batch and `DONE <added> <alreadyIndexed>` at the end.
 */
import { loadModel } from '@pir/models/node';
import { initBackend } from '@pir/runtime';
import { identityOf, indexImages, openStore } from '@pir/search/node';

const [images, storeDir, modelDir] = process.argv.slice(2) as [string, string, string];
await initBackend({ backend: 'cpu' });
const model = await loadModel(modelDir);
const store = await openStore(storeDir, { create: identityOf(model) });
const s = await indexImages({
  model,
  store,
  root: images,
  batchSize: 4,
  onProgress: (p) => process.stdout.write(`BATCH ${p.done}\n`),
});
process.stdout.write(`DONE ${s.added} ${s.alreadyIndexed}\n`);
model.dispose();
