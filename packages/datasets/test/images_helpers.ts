/** Fixture access shared by the image tests (Node and Chromium). */
import fx from './fixtures/images/fixtures.json';

export { fx };

/** The bytes of fixture file `name` (stored base64 in fixtures.json). */
export function fixtureBytes(name: keyof typeof fx.files): Uint8Array {
  const s = atob(fx.files[name]);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Largest absolute difference between two pixel arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
