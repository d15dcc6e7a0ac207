/**
 * The annotation fixtures as strings (Vite `?raw`, so the same code runs in Node and Chromium) and the
 * expectations computed independently by `fixtures/annotations/make_fixtures.py`.
 */
import karpathy from './fixtures/annotations/dataset_rsitmd_karpathy.json?raw';
import expectations from './fixtures/annotations/expectations.json';
import rsicdTest from './fixtures/annotations/rsicd_test_subset.json?raw';
import rsitmdTest from './fixtures/annotations/rsitmd_test.json?raw';
import rsitmdTrain from './fixtures/annotations/rsitmd_train_subset.json?raw';
import rsitmdVal from './fixtures/annotations/rsitmd_val.json?raw';
import testCaps from './fixtures/annotations/test_caps.txt?raw';
import testFilenames from './fixtures/annotations/test_filename.txt?raw';

export const text = { karpathy, rsicdTest, rsitmdTest, rsitmdTrain, rsitmdVal, testCaps, testFilenames };

/** Expected statistics of one file (see make_fixtures.py `stats`). */
export interface Expected {
  entries?: number;
  images: number;
  captions: number;
  imagesPerSplit: Record<string, number>;
  captionsPerSplit: Record<string, number>;
  captionsPerImage: Record<string, number>;
  labels: number;
  numericLabels: number;
  labelCounts: Record<string, number>;
  firstImage: string;
  lastImage: string;
  rawSha256: string;
  cleanSha256: string;
  maxCleanWords: number;
  labelIds?: Record<string, number>;
  firstImageId?: number;
}

export const expected = expectations as unknown as {
  real: Record<string, Expected>;
  fixtures: Record<string, Expected>;
  cleaning: { raw: string; clean: string }[];
  cleaning_max_words_5: { raw: string; clean: string }[];
};

/** Hex SHA-256 of the captions joined by '\n' (Web Crypto: Node ≥ 20 and browsers). */
export async function sha256(lines: readonly string[]): Promise<string> {
  const bytes = new TextEncoder().encode(lines.join('\n'));
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
