/** Colour names with their RGB palettes, counts in words, and small helpers for caption text. */
import type { Rng } from '@pir/runtime/rng';
import type { Rgb } from './raster.js';

/** Named colours objects are painted with; the caption uses the name. */
export const COLOURS = {
  white: [0.92, 0.92, 0.9],
  grey: [0.55, 0.56, 0.57],
  'dark grey': [0.3, 0.31, 0.32],
  black: [0.1, 0.1, 0.11],
  red: [0.78, 0.18, 0.15],
  blue: [0.2, 0.38, 0.75],
  green: [0.25, 0.55, 0.25],
  'dark green': [0.12, 0.3, 0.14],
  yellow: [0.9, 0.8, 0.25],
  orange: [0.9, 0.5, 0.15],
  brown: [0.5, 0.34, 0.2],
  beige: [0.85, 0.78, 0.62],
} as const satisfies Record<string, Rgb>;
export type ColourName = keyof typeof COLOURS;

const WORDS = [
  'no',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
];

/** A count as caption text: exact words up to `exactUpTo` (default 6), else "many"/"lots of"/"a number of". */
export function countWord(n: number, rng: Rng, exactUpTo = 6): string {
  if (n <= exactUpTo) return WORDS[n] ?? String(n);
  return pick(
    rng,
    ['many', 'many', 'lots of', 'a number of', 'dozens of'].filter((w) => w !== 'dozens of' || n >= 20),
  );
}

/** `noun` pluralised for `n` (regular English plurals plus the few irregular ones used here). */
export function plural(noun: string, n: number): string {
  if (n === 1) return noun;
  if (noun.endsWith('y') && !/[aeiou]y$/.test(noun)) return `${noun.slice(0, -1)}ies`;
  if (/(s|sh|ch|x)$/.test(noun)) return `${noun}es`;
  return `${noun}s`;
}

/** "3 red cars" style phrase: count word, optional colour, noun (pluralised). */
export function countPhrase(n: number, noun: string, rng: Rng, colour?: string): string {
  const c = countWord(n, rng);
  const words = [c, colour, plural(noun, n)].filter(Boolean);
  return words.join(' ');
}

/** A uniformly chosen element. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)] as T;
}

/** "a" or "an". */
export function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** Where a normalised point lies, as words ("in the top left", "in the middle"). */
export function placeWords(x: number, y: number): string {
  const v = y < 0.33 ? 'top' : y > 0.67 ? 'bottom' : '';
  const h = x < 0.33 ? 'left' : x > 0.67 ? 'right' : '';
  if (!v && !h) return 'in the middle';
  if (v && h) return `in the ${v} ${h}`;
  return `on the ${v || h}`;
}

/** Capitalise the first letter (some captions in the real data are, some are not). */
export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
