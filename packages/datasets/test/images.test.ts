/** Image decoding in Node (sharp/geotiff) and Chromium (createImageBitmap/geotiff) from the same fixtures. */
import { PirError } from '@pir/runtime';
import { inBrowser } from '@pir/test-utils';
import { describe, expect, it } from 'vitest';
import {
  checkRawImage,
  decodeGeoTiff,
  decodeImage,
  encodeImage,
  geoTiffInfo,
  ImageDecodeError,
  loadImage,
  sniffFormat,
  toRgb,
} from '../src/images/index.js';
import { fixtureBytes, fx, maxDiff } from './images_helpers.js';
import { expectInputError, expectInputRejection } from './input_errors.js';

async function expectDecodeError(
  p: Promise<unknown>,
  file: string,
  message: RegExp,
  argument = '',
): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected an ImageDecodeError').toBeInstanceOf(ImageDecodeError);
  expect(err).toBeInstanceOf(PirError);
  expect((err as ImageDecodeError).name).toBe('ImageDecodeError');
  expect((err as ImageDecodeError).file).toBe(file);
  expect((err as ImageDecodeError).where).toBe(file);
  expect((err as ImageDecodeError).argument).toBe(argument);
  expect((err as Error).message).toContain(file);
  expect((err as Error).message).toMatch(message);
}

describe('decodeImage', () => {
  it('sniffs formats from magic bytes', () => {
    expect(sniffFormat(fixtureBytes('pattern.png'))).toBe('png');
    expect(sniffFormat(fixtureBytes('pattern.jpg'))).toBe('jpeg');
    expect(sniffFormat(fixtureBytes('pattern.tif'))).toBe('tiff');
    expect(sniffFormat(fixtureBytes('landsat_crop.tif'))).toBe('tiff');
    expect(sniffFormat(new Uint8Array([1, 2, 3]))).toBe('unknown');
  });

  it('PNG and TIFF decode losslessly to the exact pixels', async () => {
    for (const name of ['pattern.png', 'pattern.tif'] as const) {
      const img = await decodeImage(fixtureBytes(name), { file: name });
      expect([img.width, img.height, img.channels], name).toEqual([8, 6, 3]);
      expect(img.data).toBeInstanceOf(Uint8Array);
      expect(Array.from(img.data), name).toEqual(fx.pattern.pixels);
    }
  });

  it('JPEG decodes close to the source pixels (lossy, q95 4:4:4)', async () => {
    const img = await decodeImage(fixtureBytes('pattern.jpg'), { file: 'pattern.jpg' });
    expect([img.width, img.height, img.channels]).toEqual([8, 6, 3]);
    expect(maxDiff(img.data, fx.pattern.pixels)).toBeLessThan(40);
    let mean = 0;
    for (let i = 0; i < img.data.length; i++)
      mean += Math.abs((img.data[i] as number) - (fx.pattern.pixels[i] as number));
    expect(mean / img.data.length).toBeLessThan(6);
  });

  it('grey → RGB and RGBA → RGB by default; channels "keep" keeps them', async () => {
    const grey = await decodeImage(fixtureBytes('grey.png'));
    expect(grey.channels).toBe(3);
    expect(Array.from(grey.data.subarray(0, 6))).toEqual([0, 0, 0, 64, 64, 64]);
    const keptGrey = await decodeImage(fixtureBytes('grey.png'), { channels: 'keep' });
    // sharp returns grey as RGB and Chromium's canvas always yields RGBA: 'keep' promises alpha, not grey
    expect(inBrowser ? [4] : [1, 3]).toContain(keptGrey.channels);
    expect(keptGrey.data[keptGrey.channels]).toBe(64);
    const rgba = await decodeImage(fixtureBytes('rgba.png'), { channels: 'keep' });
    expect(rgba.channels).toBe(4);
    // a 2d canvas stores premultiplied alpha: semi-transparent pixels come back within a few levels there
    const tol = inBrowser ? 4 : 0;
    expect(maxDiff(rgba.data, fx.rgba.pixels)).toBeLessThanOrEqual(tol);
    const rgb = await decodeImage(fixtureBytes('rgba.png'));
    expect(maxDiff(rgb.data, [0, 255, 100, 60, 195, 100, 120, 135, 100, 180, 75, 100])).toBeLessThanOrEqual(
      tol,
    );
  });

  it('multi-band GeoTIFF: band selection in output order, all bands, info', async () => {
    const bytes = fixtureBytes('landsat_crop.tif');
    const { width, height, pixels } = fx.landsat;
    const rgb = await decodeImage(bytes, { bands: [2, 1, 0] });
    expect([rgb.width, rgb.height, rgb.channels]).toEqual([width, height, 3]);
    expect(rgb.data).toBeInstanceOf(Uint8Array);
    for (const p of [0, 17, width * height - 1]) {
      expect([rgb.data[p * 3], rgb.data[p * 3 + 1], rgb.data[p * 3 + 2]]).toEqual([
        pixels[p * 6 + 2],
        pixels[p * 6 + 1],
        pixels[p * 6],
      ]);
    }
    const all = await decodeGeoTiff(bytes, { channels: 'keep' });
    expect(all.channels).toBe(6);
    expect(Array.from(all.data)).toEqual(pixels);
    const info = await geoTiffInfo(bytes);
    expect(info).toMatchObject({ width, height, bands: 6, bitsPerSample: 8, sampleFormat: 1 });
    expect(info.geoKeys?.ProjectedCSTypeGeoKey).toBe(fx.landsat.projectedCS);
    expect(info.origin?.[0]).toBeCloseTo(fx.landsat.origin[0] as number, 3);
    expect(info.origin?.[1]).toBeCloseTo(fx.landsat.origin[1] as number, 3);
  });

  it('16-bit GeoTIFF bands decode to Float32Array with the raw values', async () => {
    const img = await decodeImage(fixtureBytes('u16.tif'), { channels: 'keep' });
    expect(img.data).toBeInstanceOf(Float32Array);
    expect([img.width, img.height, img.channels]).toEqual([3, 2, 2]);
    expect(Array.from(img.data)).toEqual(fx.u16.pixels);
    const one = await decodeImage(fixtureBytes('u16.tif'), { bands: [1] });
    expect(Array.from(one.data)).toEqual(fx.u16.pixels.filter((_, i) => i % 2 === 1));
  });

  it('errors name the file: truncated, corrupt, unknown, too many bands, band out of range', async () => {
    await expectDecodeError(
      decodeImage(fixtureBytes('truncated.png'), { file: 'a/truncated.png' }),
      'a/truncated.png',
      /PNG/,
    );
    await expectDecodeError(
      decodeImage(fixtureBytes('corrupt.jpg'), { file: 'corrupt.jpg' }),
      'corrupt.jpg',
      /JPEG/,
    );
    await expectDecodeError(decodeImage(new Uint8Array(10), { file: 'x.bin' }), 'x.bin', /unrecognised/);
    await expectDecodeError(
      decodeImage(fixtureBytes('landsat_crop.tif'), { file: 'l7.tif' }),
      'l7.tif',
      /6 bands; choose three/,
      'bands',
    );
    await expectDecodeError(
      decodeImage(fixtureBytes('landsat_crop.tif'), { file: 'l7.tif', bands: [0, 6, 1] }),
      'l7.tif',
      /band 6 out of range: the file has 6 band/,
      'bands',
    );
    const tif = fixtureBytes('landsat_crop.tif');
    await expectDecodeError(
      decodeImage(tif.subarray(0, 2000), { file: 'cut.tif', bands: [0] }),
      'cut.tif',
      /TIFF/,
    );
    const rgbTif = fixtureBytes('pattern.tif');
    await expectDecodeError(
      decodeImage(rgbTif.subarray(0, 60), { file: 'train/airport_1.tif' }),
      'train/airport_1.tif',
      /TIFF/,
    );
    // a 2-band 16-bit GeoTIFF cannot become RGB on its own: the error names the file and the `bands` option
    await expectDecodeError(
      decodeGeoTiff(fixtureBytes('u16.tif'), { file: 'u16.tif' }),
      'u16.tif',
      /^u16\.tif: cannot convert a 2-channel Float32Array image to RGB; pass `bands`/,
      'bands',
    );
    // a bad argument is thrown at once (not rejected), as before
    expectInputError(
      () => decodeImage([1, 2] as unknown as Uint8Array),
      'decodeImage',
      'bytes',
      /bytes must be a Uint8Array, got \[object Array\]/,
    );
  });

  it('loadImage fetches URLs (data: here; http(s): and blob: the same way) and names them in errors', async () => {
    const png = fixtureBytes('pattern.png');
    let b64 = '';
    for (const v of png) b64 += String.fromCharCode(v);
    const url = `data:image/png;base64,${btoa(b64)}`;
    const img = await loadImage(url);
    expect(Array.from(img.data)).toEqual(fx.pattern.pixels);
    const bad = `data:image/png;base64,${btoa('not an image')}`;
    await expectDecodeError(loadImage(bad), bad, /unrecognised/);
  });

  it('encodeImage → decodeImage round-trips PNG exactly', async () => {
    const img = { data: Uint8Array.from(fx.pattern.pixels), width: 8, height: 6, channels: 3 };
    const png = await encodeImage(img, 'png');
    expect(sniffFormat(png)).toBe('png');
    const back = await decodeImage(png);
    expect(Array.from(back.data)).toEqual(fx.pattern.pixels);
    const jpg = await encodeImage(img, 'jpeg', { quality: 95 });
    expect(sniffFormat(jpg)).toBe('jpeg');
    await expectInputRejection(
      encodeImage({ ...img, data: new Float32Array(8 * 6 * 3) }, 'png'),
      'encodeImage',
      'img',
      /only 8-bit images with 1–4 channels can be encoded, got 3 Float32Array channel/,
    );
  });

  it('encodeImage: bad images and formats', async () => {
    const E = 'encodeImage';
    const img = { data: Uint8Array.from(fx.pattern.pixels), width: 8, height: 6, channels: 3 };
    await expectInputRejection(
      encodeImage({ ...img, width: 7 }),
      E,
      'img.data',
      /img\.data has 144 values, expected height\*width\*channels = 6\*7\*3/,
    );
    await expectInputRejection(encodeImage({ ...img, height: -1 }), E, 'img.height', /got -1/);
    await expectInputRejection(encodeImage(null as never), E, 'img', /img must be a RawImage/);
    await expectInputRejection(
      encodeImage({ ...img, data: new Uint8Array(8 * 6 * 5), channels: 5 }),
      E,
      'img',
      /got 5 Uint8Array channel/,
    );
    await expectInputRejection(
      encodeImage(img, 'bmp' as never),
      E,
      'format',
      /format must be 'png', 'jpeg' or 'tiff', got "bmp"/,
    );
    if (inBrowser) {
      await expectInputRejection(
        encodeImage(img, 'tiff'),
        E,
        'format',
        /TIFF encoding is available in Node only/,
      );
    } else {
      expect(sniffFormat(await encodeImage(img, 'tiff'))).toBe('tiff');
    }
  });

  it('toRgb refuses float and many-band images with a hint', () => {
    expectInputError(
      () => toRgb({ data: new Uint8Array(12), width: 1, height: 2, channels: 6 }, 'f.tif'),
      'toRgb',
      'img',
      /^toRgb: f\.tif: cannot convert a 6-channel Uint8Array image to RGB; pass `bands`/,
    );
    expectInputError(
      () => toRgb({ data: new Float32Array(2), width: 1, height: 2, channels: 1 }),
      'toRgb',
      'img',
      /<image>: cannot convert a 1-channel Float32Array image/,
    );
  });

  it('checkRawImage names the field and the value', () => {
    const C = 'checkRawImage';
    expect(checkRawImage({ data: new Uint8Array(6), width: 1, height: 2, channels: 3 })).toBeUndefined();
    expectInputError(
      () => checkRawImage({ data: new Uint8Array(6), width: 0, height: 2, channels: 3 }),
      C,
      'image.width',
      /image\.width must be a positive integer, got 0/,
    );
    expectInputError(
      () => checkRawImage({ data: [1] as never, width: 1, height: 1, channels: 1 }, 'tile'),
      C,
      'tile.data',
      /tile\.data must be a Uint8Array or Float32Array, got Array/,
    );
    expectInputError(
      () => checkRawImage({ data: new Float32Array(5), width: 1, height: 2, channels: 3 }),
      C,
      'image.data',
      /has 5 values, expected height\*width\*channels = 2\*1\*3/,
    );
    expectInputError(() => checkRawImage(undefined as never), C, 'image', /must be a RawImage/);
  });
});
