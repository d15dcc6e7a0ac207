import { DatasetInputError } from '../errors.js';
import type { RawImage } from '../images/image_types.js';
import { loadSharp } from '../node_only_imports.js';
import type { SyntheticSample } from './generate_synthetic.js';

/** Layout of {@link renderContactSheet}. */
export interface ContactSheetOptions {
  /** Tiles per row (default 4). */
  columns?: number;
  /** Image side in the sheet, pixels (default 224). */
  tile?: number;
  /** Caption font size, pixels (default 11). */
  fontSize?: number;
  /** Quantise to a 256-colour palette (about 3× smaller files; default false). */
  palette?: boolean;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Greedy word wrap to at most `width` characters per line. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * A contact sheet (Node only): each sample's image with its class and its five captions underneath, text
 * rendered by sharp from SVG. Returns PNG bytes.
 * @example await writeFile('sheet.png', await renderContactSheet(ds.samples.slice(0, 12), ds.images.slice(0, 12)));
 */
export async function renderContactSheet(
  samples: readonly SyntheticSample[],
  images: readonly RawImage[],
  options: ContactSheetOptions = {},
): Promise<Uint8Array> {
  if (samples.length !== images.length || samples.length === 0) {
    throw new DatasetInputError(
      'renderContactSheet',
      samples.length === 0 ? 'samples' : 'images',
      `renderContactSheet: need one image per sample, got ${samples.length} samples and ${images.length} images`,
    );
  }
  const sharp = await loadSharp();
  const columns = options.columns ?? 4;
  const tile = options.tile ?? 224;
  const font = options.fontSize ?? 11;
  const pad = 8;
  const lineH = Math.round(font * 1.3);
  const charsPerLine = Math.floor((tile + pad) / (font * 0.55));
  const texts = samples.map((s) => [
    `${s.labelName} · ${s.split} · #${s.imageId}`,
    ...s.captions.flatMap((c, k) => wrap(`${k + 1}. ${c}`, charsPerLine)),
  ]);
  const textH = Math.max(...texts.map((t) => t.length)) * lineH + pad;
  const cellW = tile + pad;
  const cellH = tile + textH + pad;
  const rows = Math.ceil(samples.length / columns);
  const W = columns * cellW + pad;
  const H = rows * cellH + pad;
  const composites: { input: Buffer; left: number; top: number }[] = [];
  for (let k = 0; k < samples.length; k++) {
    const img = images[k] as RawImage;
    const left = pad + (k % columns) * cellW;
    const top = pad + Math.floor(k / columns) * cellH;
    const tileBuf: Buffer = await sharp(img.data, {
      raw: { width: img.width, height: img.height, channels: img.channels },
    })
      .resize(tile, tile, { kernel: img.width < tile ? 'nearest' : 'lanczos3' })
      .png()
      .toBuffer();
    composites.push({ input: tileBuf, left, top });
    const lines = texts[k] as string[];
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${tile}" height="${textH}">${lines
      .map(
        (l, i) =>
          `<text x="0" y="${(i + 1) * lineH}" font-family="DejaVu Sans, Liberation Sans, sans-serif" font-size="${font}" ${i === 0 ? 'font-weight="bold" fill="#1a4d8f"' : 'fill="#222"'}>${escapeXml(l)}</text>`,
      )
      .join('')}</svg>`;
    composites.push({ input: await sharp(Buffer.from(svg)).png().toBuffer(), left, top: top + tile + 4 });
  }
  const out: Buffer = await sharp({
    create: { width: W, height: H, channels: 3, background: { r: 255, g: 255, b: 255 } },
  })
    .composite(composites)
    .png({ compressionLevel: 9, ...(options.palette ? { palette: true, quality: 95, effort: 10 } : {}) })
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
