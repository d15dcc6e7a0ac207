/**
 * The drawing context every scene composer uses: a raster, the scene's random stream, a sun direction for
 * shadows, object painters (trees, buildings, cars, planes, boats, tanks) and the record of what was drawn.
 */
import type { Rng } from '@pir/runtime/rng';
import { COLOURS, type ColourName } from './caption_words.js';
import { makeNoise, mix, type Point, Raster, type Rgb, shade } from './raster.js';

/** Role of an object group in the scene: what the captions are about, or semantic noise. */
export type ObjectRole = 'key' | 'context' | 'distractor' | 'noise';

/** One group of same-kind, same-colour objects in a scene, with every instance's box. */
export interface SceneObject {
  /** Object kind, e.g. `'plane'`, `'car'`, `'storage tank'`, `'cloud'`. */
  kind: string;
  /** Colour name (see `COLOURS`), when the kind has one. */
  colour?: ColourName;
  role: ObjectRole;
  /** Number of instances. */
  count: number;
  /** Instance boxes, normalised to [0, 1]: centre x, centre y, width, height (axis-aligned bounds). */
  boxes: [number, number, number, number][];
}

export class SceneContext {
  readonly r: Raster;
  /** Shadow offset per unit of object height, in pixels per pixel (sun direction). */
  readonly sun: Point;
  readonly objects: SceneObject[] = [];

  constructor(
    readonly S: number,
    /** The random stream painters draw from (the generator swaps it for the noise stage). */
    public rng: Rng,
  ) {
    this.r = new Raster(S, S);
    const a = rng.uniform(0, 2 * Math.PI);
    const len = rng.uniform(0.25, 0.6);
    this.sun = [Math.cos(a) * len, Math.sin(a) * len];
  }

  /** Pixels from a normalised length. */
  px(v: number): number {
    return v * this.S;
  }

  /** A colour function: `base` varied by value noise (feature size `scale` as a fraction of S). */
  textured(base: Rgb, amount = 0.12, scale = 0.3, grain = 0.04): (x: number, y: number) => Rgb {
    const n = makeNoise(this.rng, this.px(scale), 3);
    const g = makeNoise(this.rng, 1.5, 1);
    return (x, y) => shade(base, 1 + amount * (2 * n(x, y) - 1) + grain * (2 * g(x, y) - 1));
  }

  /** Fill the background with a textured colour, optionally blended with a second colour in patches. */
  ground(base: Rgb, amount = 0.12, second?: Rgb): void {
    const tex = this.textured(base, amount, 0.35);
    const patches = makeNoise(this.rng, this.px(0.4), 2);
    this.r.fill((x, y) =>
      second ? mix(tex(x, y), second, Math.max(0, patches(x, y) - 0.5) * 1.2) : tex(x, y),
    );
  }

  /** Record a drawn instance under (kind, colour, role). */
  record(
    kind: string,
    role: ObjectRole,
    colour: ColourName | undefined,
    box: [number, number, number, number],
  ): void {
    const S = this.S;
    const b: [number, number, number, number] = [box[0] / S, box[1] / S, box[2] / S, box[3] / S];
    const g = this.objects.find((o) => o.kind === kind && o.colour === colour && o.role === role);
    if (g) {
      g.count++;
      g.boxes.push(b);
    } else {
      this.objects.push(
        colour === undefined
          ? { kind, role, count: 1, boxes: [b] }
          : { kind, colour, role, count: 1, boxes: [b] },
      );
    }
  }

  /** Count of recorded instances of `kind` (any colour) with `role` (any role when omitted). */
  count(kind: string, role?: ObjectRole): number {
    return this.objects
      .filter((o) => o.kind === kind && (role === undefined || o.role === role))
      .reduce((s, o) => s + o.count, 0);
  }

  /** A soft shadow of a shape drawn by `draw(dx, dy)` offset along the sun direction by `height` pixels. */
  private shadow(height: number, draw: (dx: number, dy: number) => void): void {
    draw(this.sun[0] * height, this.sun[1] * height);
  }

  /** A tree: shadow, then a textured round canopy. */
  tree(
    x: number,
    y: number,
    radius: number,
    role: ObjectRole = 'context',
    colour: ColourName = 'green',
  ): void {
    const r = this.r;
    this.shadow(radius * 1.4, (dx, dy) =>
      r.ellipse(x + dx, y + dy, radius, radius, 0, [0.05, 0.07, 0.04], 0.45),
    );
    const base = shade(COLOURS[colour], this.rng.uniform(0.75, 1.1));
    const tex = this.textured(base, 0.25, 0.02, 0.1);
    r.ellipse(x, y, radius, radius * this.rng.uniform(0.85, 1.1), this.rng.uniform(0, 3), (px, py) => {
      const d = Math.hypot(px - x + radius * 0.3, py - y + radius * 0.3) / (radius * 1.6);
      return shade(tex(px, py), 1.15 - 0.35 * d);
    });
    this.record('tree', role, colour, [x, y, 2 * radius, 2 * radius]);
  }

  /** A building seen from above: shadow, roof, ridge line. */
  building(
    x: number,
    y: number,
    w: number,
    h: number,
    angle: number,
    roof: ColourName,
    role: ObjectRole = 'context',
    kind = 'building',
    height = Math.min(w, h) * 0.6,
  ): void {
    const r = this.r;
    this.shadow(height, (dx, dy) => r.rect(x + dx, y + dy, w, h, angle, [0.05, 0.05, 0.06], 0.5));
    const base = shade(COLOURS[roof], this.rng.uniform(0.85, 1.05));
    r.rect(x, y, w, h, angle, this.textured(base, 0.06, 0.05, 0.03));
    // ridge: the half facing the sun a little brighter
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const along = w >= h;
    const [ox, oy] = along ? [-s * h * 0.25, c * h * 0.25] : [c * w * 0.25, s * w * 0.25];
    r.rect(x + ox, y + oy, along ? w : w / 2, along ? h / 2 : h, angle, shade(base, 1.12), 0.6);
    const ext = boundsOf(w, h, angle);
    this.record(kind, role, roof, [x, y, ext[0], ext[1]]);
  }

  /** A car: a small rectangle with a darker windscreen. */
  car(
    x: number,
    y: number,
    angle: number,
    colour: ColourName,
    role: ObjectRole = 'context',
    kind = 'car',
    scale = 1,
  ): void {
    const L = this.px(0.026) * scale;
    const W = this.px(0.012) * scale;
    const r = this.r;
    r.rect(x + this.sun[0] * W * 0.6, y + this.sun[1] * W * 0.6, L, W, angle, [0.05, 0.05, 0.05], 0.35);
    r.rect(x, y, L, W, angle, COLOURS[colour]);
    r.rect(
      x + Math.cos(angle) * L * 0.18,
      y + Math.sin(angle) * L * 0.18,
      L * 0.2,
      W * 0.8,
      angle,
      [0.12, 0.14, 0.18],
      0.7,
    );
    const ext = boundsOf(L, W, angle);
    this.record(kind, role, colour, [x, y, ext[0], ext[1]]);
  }

  /** A plane: fuselage, swept wings and tailplane, with its shadow. */
  plane(
    x: number,
    y: number,
    angle: number,
    size: number,
    colour: ColourName,
    role: ObjectRole = 'key',
  ): void {
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const P = (u: number, v: number): Point => [x + (u * c - v * s) * size, y + (u * s + v * c) * size];
    const wings: Point[] = [
      P(0.12, 0),
      P(-0.12, 0.5),
      P(-0.22, 0.5),
      P(-0.08, 0),
      P(-0.22, -0.5),
      P(-0.12, -0.5),
    ];
    const tail: Point[] = [
      P(-0.38, 0),
      P(-0.48, 0.18),
      P(-0.53, 0.18),
      P(-0.47, 0),
      P(-0.53, -0.18),
      P(-0.48, -0.18),
    ];
    const r = this.r;
    const [dx, dy] = [this.sun[0] * size * 0.25, this.sun[1] * size * 0.25];
    const sh = (pts: Point[]) => pts.map(([px, py]) => [px + dx, py + dy] as Point);
    r.polygon(sh(wings), [0.05, 0.05, 0.05], 0.35);
    r.rect(x + dx, y + dy, size, size * 0.11, angle, [0.05, 0.05, 0.05], 0.35);
    const body = COLOURS[colour];
    r.polygon(wings, shade(body, 0.93));
    r.polygon(tail, shade(body, 0.93));
    r.rect(x, y, size, size * 0.11, angle, body);
    r.ellipse(x + c * size * 0.5, y + s * size * 0.5, size * 0.055, size * 0.055, 0, body);
    this.record('plane', role, colour, [
      x,
      y,
      size * (Math.abs(c) + Math.abs(s)),
      size * (Math.abs(c) + Math.abs(s)),
    ]);
  }

  /** A boat: a pointed hull, a cabin and (when moving) a white wake. */
  boat(
    x: number,
    y: number,
    angle: number,
    length: number,
    colour: ColourName,
    role: ObjectRole = 'key',
    wake = false,
  ): void {
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    const P = (u: number, v: number): Point => [x + (u * c - v * s) * length, y + (u * s + v * c) * length];
    const r = this.r;
    if (wake)
      r.polygon([P(-0.45, 0.1), P(-1.8, 0.45), P(-1.8, -0.45), P(-0.45, -0.1)], [0.85, 0.9, 0.92], 0.35);
    r.polygon([P(0.5, 0), P(0.25, 0.16), P(-0.5, 0.14), P(-0.5, -0.14), P(0.25, -0.16)], COLOURS[colour]);
    r.rect(
      x - c * length * 0.08,
      y - s * length * 0.08,
      length * 0.3,
      length * 0.16,
      angle,
      shade(COLOURS[colour], colour === 'white' ? 0.8 : 1.3),
    );
    this.record('boat', role, colour, [x, y, length, length]);
  }

  /** A round storage tank: shadow, white/grey disc, a darker rim and a centre mark. */
  tank(x: number, y: number, radius: number, colour: ColourName, role: ObjectRole = 'key'): void {
    const r = this.r;
    this.shadow(radius * 1.2, (dx, dy) =>
      r.ellipse(x + dx, y + dy, radius, radius, 0, [0.05, 0.05, 0.05], 0.45),
    );
    const base = COLOURS[colour];
    r.ellipse(x, y, radius, radius, 0, shade(base, 0.82));
    r.ellipse(x, y, radius * 0.86, radius * 0.86, 0, (px, py) =>
      shade(base, 1.05 - (0.15 * (px - x + py - y)) / radius),
    );
    r.ellipse(x, y, radius * 0.12, radius * 0.12, 0, shade(base, 0.7));
    this.record('storage tank', role, colour, [x, y, 2 * radius, 2 * radius]);
  }
}

/** Axis-aligned extent of a w × h rectangle rotated by `angle`. */
export function boundsOf(w: number, h: number, angle: number): [number, number] {
  const c = Math.abs(Math.cos(angle));
  const s = Math.abs(Math.sin(angle));
  return [w * c + h * s, w * s + h * c];
}
