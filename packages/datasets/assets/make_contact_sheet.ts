/**
 * Renders `contact-sheet.png`: one sample of each of the 12 scene classes at 224 px with its five captions,
 * textured with the real Landsat-7 scene when `../shared/data/rasters/L7_ETMs.tif` is present.
 *
 *   npx tsx packages/datasets/assets/make_contact_sheet.ts [seed] [out.png]
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadImage } from '../src/images/index.js';
import { generateSyntheticImage, renderContactSheet, SCENE_CLASSES } from '../src/synthetic/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const landsat = join(here, '../../../../shared/data/rasters/L7_ETMs.tif');
const seed = Number(process.argv[2] ?? 2024);
const out = process.argv[3] ?? join(here, 'contact-sheet.png');
const texture = existsSync(landsat) ? await loadImage(landsat, { bands: [2, 1, 0] }) : undefined;
const options = { seed, size: 224, count: 1200, texture };
// one image of each class, from the test split (indices ≥ 0.9 × count are test images)
const picks = SCENE_CLASSES.map((_, c) => 12 * 95 + c);
const rendered = picks.map((i) => generateSyntheticImage(i, options));
const png = await renderContactSheet(
  rendered.map((r) => r.sample),
  rendered.map((r) => r.pixels),
  { columns: 4, tile: 224, fontSize: 11, palette: true },
);
writeFileSync(out, png);
console.log(
  `${out}: ${rendered.length} samples, ${png.length} bytes, texture ${texture ? 'Landsat-7' : 'none'}`,
);
process.exit(0);
