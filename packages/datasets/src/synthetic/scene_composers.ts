/**
 * The scene classes of the synthetic benchmark. Each composer paints one aerial-looking scene into a
 * {@link SceneContext} and returns candidate captions that describe what it really painted: the key
 * objects with their counts, colours and positions, and the relations between them.
 */

import {
  COLOURS,
  type ColourName,
  countPhrase,
  countWord,
  pick,
  placeWords,
  plural,
} from './caption_words.js';
import type { Point, Rgb } from './raster.js';
import { mix, shade } from './raster.js';
import type { SceneContext } from './scene_context.js';

/** A scene composer: paints into `ctx`, returns candidate captions (at least five, all true of the image). */
export type SceneComposer = (ctx: SceneContext) => string[];

const GRASS: Rgb = [0.36, 0.47, 0.27];
const DRY: Rgb = [0.6, 0.56, 0.42];
const CONCRETE: Rgb = [0.62, 0.62, 0.6];
const ASPHALT: Rgb = [0.27, 0.28, 0.29];
const WATER: Rgb = [0.13, 0.27, 0.38];
const SAND: Rgb = [0.86, 0.79, 0.6];
const BARE: Rgb = [0.62, 0.55, 0.45];

/** A straight road through the image at `angle` passing through (cx, cy); returns its end points. */
function road(
  ctx: SceneContext,
  cx: number,
  cy: number,
  angle: number,
  width: number,
  colour: Rgb = ASPHALT,
): [Point, Point] {
  const L = ctx.S * 1.5;
  const a: Point = [cx - Math.cos(angle) * L, cy - Math.sin(angle) * L];
  const b: Point = [cx + Math.cos(angle) * L, cy + Math.sin(angle) * L];
  ctx.r.polyline([a, b], width, ctx.textured(colour, 0.05, 0.2, 0.03));
  return [a, b];
}

/** A meandering band (river) across the image; returns its centre line. */
function meander(
  ctx: SceneContext,
  horizontal: boolean,
  amplitude: number,
  width: number,
  colour: Rgb,
): Point[] {
  const { S, rng } = ctx;
  const phase = rng.uniform(0, 2 * Math.PI);
  const freq = rng.uniform(0.6, 1.6);
  const offset = rng.uniform(0.35, 0.65) * S;
  const pts: Point[] = [];
  for (let i = -2; i <= 22; i++) {
    const t = (i / 20) * S;
    const d = offset + amplitude * S * Math.sin((t / S) * freq * 2 * Math.PI + phase);
    pts.push(horizontal ? [t, d] : [d, t]);
  }
  const tex = ctx.textured(colour, 0.1, 0.25, 0.03);
  ctx.r.polyline(pts, width * 1.25, shade(mix(colour, GRASS, 0.5), 0.8), 0.8); // muddy bank
  ctx.r.polyline(pts, width, tex);
  return pts;
}

/** Trees scattered along a centre line at distance `gap` on both sides. */
function treesAlong(
  ctx: SceneContext,
  line: Point[],
  gap: number,
  n: number,
  role: 'context' | 'distractor' = 'context',
): void {
  const { rng } = ctx;
  for (let i = 0; i < n; i++) {
    const k = rng.int(line.length - 1);
    const [ax, ay] = line[k] as Point;
    const [bx, by] = line[k + 1] as Point;
    const len = Math.hypot(bx - ax, by - ay) || 1;
    const side = rng.bernoulli(0.5) ? 1 : -1;
    const d = gap * rng.uniform(1, 1.8);
    const t = rng.float();
    ctx.tree(
      ax + (bx - ax) * t + (-(by - ay) / len) * d * side,
      ay + (by - ay) * t + ((bx - ax) / len) * d * side,
      ctx.px(rng.uniform(0.015, 0.03)),
      role,
    );
  }
}

const airport: SceneComposer = (ctx) => {
  const { rng, S, r } = ctx;
  ctx.ground(mix(GRASS, DRY, rng.uniform(0.2, 0.7)), 0.1);
  const angle = rng.uniform(-0.5, 0.5) + (rng.bernoulli(0.5) ? Math.PI / 2 : 0);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const [nx, ny] = [-s, c]; // normal to the runway
  const off = rng.uniform(-0.22, -0.12) * S;
  const [rx, ry] = [S / 2 + nx * off, S / 2 + ny * off];
  const rw = ctx.px(rng.uniform(0.07, 0.1));
  r.rect(rx, ry, S * 2, rw, angle, ctx.textured(ASPHALT, 0.05, 0.3, 0.02));
  for (let t = -S; t < S; t += ctx.px(0.08))
    r.rect(rx + c * t, ry + s * t, ctx.px(0.04), Math.max(1, rw * 0.06), angle, COLOURS.white, 0.9);
  ctx.record('runway', 'key', 'dark grey', [rx, ry, S, rw]);
  // apron and terminal
  const apronOff = ctx.px(0.22);
  const [ax, ay] = [rx + nx * apronOff, ry + ny * apronOff];
  r.rect(ax, ay, S * 2, ctx.px(0.2), angle, ctx.textured(CONCRETE, 0.05, 0.3, 0.02));
  r.rect(rx + nx * ctx.px(0.1), ry + ny * ctx.px(0.1), S * 2, ctx.px(0.012), angle, ASPHALT); // taxiway
  const termColour: ColourName = pick(rng, ['white', 'grey'] as const);
  const [tx, ty] = [ax + nx * ctx.px(0.16), ay + ny * ctx.px(0.16)];
  ctx.building(
    tx,
    ty,
    ctx.px(rng.uniform(0.45, 0.7)),
    ctx.px(0.1),
    angle,
    termColour,
    'key',
    'terminal building',
    ctx.px(0.06),
  );
  const n = rng.int(7) + 1;
  const colour: ColourName = rng.bernoulli(0.8) ? 'white' : 'grey';
  const size = ctx.px(rng.uniform(0.11, 0.15));
  const spacing = size * 1.15;
  const start = -((n - 1) / 2) * spacing + rng.uniform(-0.1, 0.1) * S;
  for (let i = 0; i < n; i++) {
    const t = start + i * spacing;
    ctx.plane(
      ax + c * t + nx * ctx.px(0.02),
      ay + s * t + ny * ctx.px(0.02),
      angle + Math.PI / 2,
      size,
      colour,
    );
  }
  const N = countWord(n, rng);
  const planes = plural('plane', n);
  const be = n === 1 ? 'is' : 'are';
  return [
    `${N} ${colour} ${planes} ${be} parked near the terminal building`,
    `${N} ${planes} ${be} parked on the apron beside a long runway`,
    `an airport with a straight runway and ${N} ${colour} ${planes}`,
    `the ${termColour} terminal building is next to ${N} parked ${planes}`,
    `a long runway runs through the airport ${n > 1 ? `and ${N} planes stop near the terminal` : 'and a plane stops near the terminal'}`,
    `there ${be} ${N} ${planes} on the apron of the airport .`,
    `many white lines are painted on the dark runway of the airport`,
  ];
};

const harbour: SceneComposer = (ctx) => {
  const { rng, S, r } = ctx;
  ctx.ground(CONCRETE, 0.08);
  const side = rng.int(4); // where the water is: 0 top, 1 right, 2 bottom, 3 left
  const depth = rng.uniform(0.5, 0.65);
  const horiz = side % 2 === 0;
  const waterBox = (x: number, y: number) => {
    const u = horiz ? y / S : x / S;
    return side === 0 || side === 3 ? u < depth : u > 1 - depth;
  };
  const water = ctx.textured(WATER, 0.08, 0.4, 0.02);
  r.paint(0, 0, S, S, waterBox, water);
  // land side: containers and sheds
  const landAt = (t: number, d: number): Point => {
    const inward = side === 0 || side === 3 ? depth * S + d : (1 - depth) * S - d;
    return horiz ? [t, inward] : [inward, t];
  };
  const k = rng.int(3) + 2;
  const pierLen = ctx.px(rng.uniform(0.25, 0.4));
  const pierW = ctx.px(0.035);
  const boatsPer: number[] = [];
  const boatColour: ColourName = pick(rng, ['white', 'white', 'red', 'blue'] as const);
  let nBoats = 0;
  for (let i = 0; i < k; i++) {
    const t = ((i + 0.5) / k) * S + rng.uniform(-0.05, 0.05) * S;
    const [px, py] = landAt(t, -pierLen / 2);
    r.rect(
      px,
      py,
      horiz ? pierW : pierLen,
      horiz ? pierLen : pierW,
      0,
      ctx.textured(CONCRETE, 0.05, 0.1, 0.02),
    );
    ctx.record('pier', 'key', 'grey', [px, py, horiz ? pierW : pierLen, horiz ? pierLen : pierW]);
    const m = rng.int(4);
    boatsPer.push(m);
    for (let j = 0; j < m; j++) {
      const along = -pierLen * (0.2 + 0.7 * (j / Math.max(1, m)));
      const [bx, by] = landAt(t + (rng.bernoulli(0.5) ? 1 : -1) * pierW * 1.5, along);
      ctx.boat(bx, by, horiz ? Math.PI / 2 : 0, ctx.px(rng.uniform(0.06, 0.09)), boatColour);
      nBoats++;
    }
  }
  const moving = rng.int(3);
  for (let j = 0; j < moving; j++) {
    const [bx, by] = landAt(rng.uniform(0.1, 0.9) * S, -depth * S * rng.uniform(0.7, 0.9));
    ctx.boat(bx, by, rng.uniform(0, 2 * Math.PI), ctx.px(rng.uniform(0.05, 0.08)), 'white', 'key', true);
  }
  // containers on land
  const rows = rng.int(3) + 1;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < 6; j++) {
      if (rng.bernoulli(0.3)) continue;
      const [cx, cy] = landAt(((j + 1.5) / 9) * S, ctx.px(0.12 + i * 0.05));
      const colour = pick(rng, ['red', 'blue', 'orange', 'green'] as const);
      r.rect(
        cx,
        cy,
        horiz ? ctx.px(0.08) : ctx.px(0.035),
        horiz ? ctx.px(0.035) : ctx.px(0.08),
        0,
        COLOURS[colour],
      );
      ctx.record('container', 'context', colour, [cx, cy, ctx.px(0.08), ctx.px(0.035)]);
    }
  }
  const B = countWord(nBoats + moving, rng);
  const total = nBoats + moving;
  const boats = plural('boat', total);
  const out = [
    `a harbour with ${countWord(k, rng)} piers extending into the blue sea`,
    `some colourful containers are stacked on the land beside the harbour`,
    `the harbour is next to dark blue water with ${countWord(k, rng)} piers`,
  ];
  if (total > 0) {
    out.push(
      `${B} ${nBoats > 0 ? boatColour : 'white'} ${boats} ${total === 1 ? 'is' : 'are'} in the harbour`,
      nBoats > 0
        ? `${countWord(nBoats, rng)} ${plural('boat', nBoats)} ${nBoats === 1 ? 'is' : 'are'} moored beside the piers`
        : `${B} ${boats} ${total === 1 ? 'is' : 'are'} sailing on the sea near the port`,
      `there are ${B} ${boats} and ${countWord(k, rng)} piers in the port .`,
    );
  } else {
    out.push(
      'no boats are moored at the empty piers',
      'the piers of the port are empty',
      'there are several piers but no boats in the harbour',
    );
  }
  if (moving > 0)
    out.push(
      `${countWord(moving, rng)} ${plural('boat', moving)} ${moving === 1 ? 'is' : 'are'} sailing with white waves behind`,
    );
  return out;
};

const FIELD: Record<string, Rgb> = {
  green: [0.33, 0.52, 0.22],
  yellow: [0.78, 0.7, 0.36],
  brown: [0.5, 0.38, 0.25],
  'light green': [0.52, 0.64, 0.33],
};

const farmland: SceneComposer = (ctx) => {
  const { rng, S, r } = ctx;
  ctx.ground(DRY, 0.06);
  const cols = rng.int(3) + 2;
  const rows = rng.int(3) + 2;
  const angle = rng.uniform(-0.35, 0.35);
  const cw = (S * 1.3) / cols;
  const ch = (S * 1.3) / rows;
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const used = new Set<string>();
  const names = Object.keys(FIELD);
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < rows; j++) {
      const name = pick(rng, names);
      used.add(name);
      const u = (i + 0.5) * cw - S * 0.65;
      const v = (j + 0.5) * ch - S * 0.65;
      const x = S / 2 + u * c - v * s;
      const y = S / 2 + u * s + v * c;
      const base = FIELD[name] as Rgb;
      // crop rows: stripes along the field
      const stripe = ctx.px(0.02);
      const tex = ctx.textured(base, 0.1, 0.2, 0.04);
      r.rect(x, y, cw - ctx.px(0.025), ch - ctx.px(0.025), angle, (px, py) => {
        const along = (px - x) * -s + (py - y) * c;
        return shade(tex(px, py), 1 + 0.06 * Math.sin((along / stripe) * Math.PI));
      });
      ctx.record('field', 'key', undefined, [x, y, cw, ch]);
    }
  }
  const hasRoad = rng.bernoulli(0.6);
  if (hasRoad) {
    road(
      ctx,
      S / 2 + rng.uniform(-0.2, 0.2) * S,
      S / 2,
      angle + Math.PI / 2,
      ctx.px(0.03),
      [0.7, 0.66, 0.56],
    );
    ctx.record('road', 'context', 'beige', [S / 2, S / 2, S, ctx.px(0.03)]);
  }
  const house = rng.bernoulli(0.4);
  if (house) {
    const [hx, hy] = [rng.uniform(0.2, 0.8) * S, rng.uniform(0.2, 0.8) * S];
    ctx.building(hx, hy, ctx.px(0.07), ctx.px(0.05), angle, 'red', 'distractor', 'house');
    ctx.tree(hx + ctx.px(0.06), hy + ctx.px(0.03), ctx.px(0.025), 'distractor');
  }
  const colours = [...used];
  const list =
    colours.length > 1 ? `${colours.slice(0, -1).join(', ')} and ${colours[colours.length - 1]}` : colours[0];
  const n = cols * rows;
  const out = [
    `the farmland is divided into many rectangular fields of ${list}`,
    `${list} fields are arranged neatly like a chessboard`,
    `many pieces of farmland in different colours are next to each other`,
    `some ${pick(rng, colours)} fields are planted with crops in rows`,
    `there are more than ${countWord(Math.min(n - 1, 12), rng, 12)} fields in the farmland`,
  ];
  if (hasRoad)
    out.push('a narrow road runs across the farmland', 'a road passes through the fields of the farmland .');
  else out.push('the fields are separated by narrow ridges');
  if (house)
    out.push(
      `a small house with a red roof stands ${placeWords(ctx.objects.find((o) => o.kind === 'house')?.boxes[0]?.[0] ?? 0.5, ctx.objects.find((o) => o.kind === 'house')?.boxes[0]?.[1] ?? 0.5)} of the farmland`,
    );
  return out;
};

const ROOFS = ['red', 'grey', 'blue', 'brown', 'white'] as const;

const residential: SceneComposer = (ctx) => {
  const { rng, S } = ctx;
  ctx.ground(mix(GRASS, CONCRETE, 0.4), 0.1);
  const angle = rng.uniform(-0.4, 0.4);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const blocks = rng.int(2) + 2;
  const bs = S / blocks;
  const roadW = ctx.px(0.035);
  for (let i = 0; i <= blocks; i++) {
    const t = i * bs - S / 2;
    road(ctx, S / 2 - s * t, S / 2 + c * t, angle, roadW);
    road(ctx, S / 2 + c * t, S / 2 + s * t, angle + Math.PI / 2, roadW);
  }
  const dense = rng.bernoulli(0.5);
  const roof: ColourName = pick(rng, ROOFS);
  let trees = 0;
  const per = dense ? 3 : 2;
  for (let bi = -1; bi <= blocks; bi++) {
    for (let bj = -1; bj <= blocks; bj++) {
      for (let hi = 0; hi < per; hi++) {
        for (let hj = 0; hj < per; hj++) {
          const u = (bi + (hi + 0.5) / per) * bs - S / 2;
          const v = (bj + (hj + 0.5) / per) * bs - S / 2;
          const x = S / 2 + u * c - v * s;
          const y = S / 2 + u * s + v * c;
          if (x < -0.05 * S || y < -0.05 * S || x > 1.05 * S || y > 1.05 * S) continue;
          if (!dense && rng.bernoulli(0.35)) {
            ctx.tree(x, y, ctx.px(rng.uniform(0.02, 0.035)));
            trees++;
            continue;
          }
          const size = (bs / per) * (dense ? 0.7 : 0.55);
          ctx.building(
            x,
            y,
            size,
            size * rng.uniform(0.6, 0.9),
            angle,
            rng.bernoulli(0.75) ? roof : pick(rng, ROOFS),
            'key',
            'house',
          );
        }
      }
    }
  }
  let cars = 0;
  const nCars = rng.int(6);
  for (let k = 0; k < nCars; k++) {
    const t = (rng.int(blocks - 1) + 1) * bs - S / 2;
    const along = rng.uniform(-0.45, 0.45) * S;
    ctx.car(
      S / 2 - s * t + c * along,
      S / 2 + c * t + s * along,
      angle,
      pick(rng, ['white', 'red', 'black', 'blue'] as const),
    );
    cars++;
  }
  const out = [
    `many houses with ${roof} roofs are arranged neatly in the ${dense ? 'dense' : 'sparse'} residential area`,
    `the residential area is divided into blocks by ${countWord(2 * (blocks + 1), rng)} straight roads`,
    `${dense ? 'a lot of' : 'some'} ${roof} houses line the roads`,
    `this is a ${dense ? 'dense' : 'sparse'} residential area with many houses .`,
    `the houses are separated by grey roads crossing each other`,
  ];
  if (trees > 0) out.push(`some green trees are planted between the houses`);
  if (cars > 0)
    out.push(
      `${countWord(cars, rng)} ${plural('car', cars)} ${cars === 1 ? 'is' : 'are'} driving on the roads of the residential area`,
    );
  return out;
};

const industrial: SceneComposer = (ctx) => {
  const { rng, S } = ctx;
  ctx.ground(BARE, 0.1, CONCRETE);
  const angle = rng.uniform(-0.3, 0.3);
  road(ctx, S / 2, rng.uniform(0.4, 0.6) * S, angle, ctx.px(0.05));
  ctx.record('road', 'context', 'dark grey', [S / 2, S / 2, S, ctx.px(0.05)]);
  const n = rng.int(4) + 2;
  const roof: ColourName = pick(rng, ['white', 'blue', 'grey'] as const);
  for (let i = 0; i < n; i++) {
    const top = i % 2 === 0;
    const x = ((Math.floor(i / 2) + 0.5) / Math.ceil(n / 2)) * S + rng.uniform(-0.04, 0.04) * S;
    const y = (top ? rng.uniform(0.18, 0.28) : rng.uniform(0.72, 0.82)) * S;
    ctx.building(
      x,
      y,
      ctx.px(rng.uniform(0.18, 0.3)),
      ctx.px(rng.uniform(0.14, 0.22)),
      angle,
      roof,
      'key',
      'factory',
      ctx.px(0.05),
    );
  }
  const trucks = rng.int(4);
  for (let i = 0; i < trucks; i++) {
    const t = rng.uniform(-0.4, 0.4) * S;
    ctx.car(
      S / 2 + Math.cos(angle) * t,
      ctx.objects[0] ? (ctx.objects[0].boxes[0]?.[1] ?? 0.5) * S + Math.sin(angle) * t : S / 2,
      angle,
      'white',
      'context',
      'truck',
      1.8,
    );
  }
  const tanks = rng.bernoulli(0.5) ? rng.int(3) + 1 : 0;
  for (let i = 0; i < tanks; i++)
    ctx.tank(
      rng.uniform(0.1, 0.9) * S,
      rng.uniform(0.42, 0.58) * S + (rng.bernoulli(0.5) ? 1 : -1) * ctx.px(0.08),
      ctx.px(0.035),
      'white',
      'distractor',
    );
  const N = countWord(n, rng);
  const out = [
    `${N} large factories with ${roof} roofs are in the industrial area`,
    `a road passes between the ${roof} factory buildings`,
    `the industrial area has ${N} big buildings on bare land`,
    `several large ${roof} buildings stand on both sides of the road .`,
    `some factories are built beside a straight road`,
  ];
  if (trucks > 0)
    out.push(
      `${countWord(trucks, rng)} ${plural('truck', trucks)} ${trucks === 1 ? 'is' : 'are'} on the road of the industrial area`,
    );
  if (tanks > 0)
    out.push(
      `${countWord(tanks, rng)} white storage ${plural('tank', tanks)} ${tanks === 1 ? 'is' : 'are'} near the factories`,
    );
  return out;
};

const forest: SceneComposer = (ctx) => {
  const { rng, S } = ctx;
  ctx.ground([0.12, 0.22, 0.1], 0.15);
  const clearing = rng.bernoulli(0.4)
    ? ([rng.uniform(0.25, 0.75) * S, rng.uniform(0.25, 0.75) * S, ctx.px(rng.uniform(0.1, 0.18))] as const)
    : null;
  const hasRoad = rng.bernoulli(0.4);
  let roadLine: [Point, Point] | null = null;
  if (hasRoad) {
    roadLine = road(
      ctx,
      S / 2,
      rng.uniform(0.3, 0.7) * S,
      rng.uniform(-1, 1),
      ctx.px(0.03),
      [0.62, 0.55, 0.42],
    );
    ctx.record('road', 'context', 'brown', [S / 2, S / 2, S, ctx.px(0.03)]);
  }
  if (clearing) {
    ctx.r.ellipse(
      clearing[0],
      clearing[1],
      clearing[2],
      clearing[2] * 0.8,
      rng.float() * 3,
      ctx.textured([0.5, 0.55, 0.3], 0.1, 0.1),
    );
    ctx.record('clearing', 'context', 'green', [clearing[0], clearing[1], 2 * clearing[2], 2 * clearing[2]]);
  }
  const n = Math.round(((S * S) / ctx.px(0.03) ** 2) * 0.45);
  const dark = rng.bernoulli(0.6);
  for (let i = 0; i < n; i++) {
    const x = rng.float() * S;
    const y = rng.float() * S;
    if (clearing && Math.hypot(x - clearing[0], y - clearing[1]) < clearing[2] * 1.05) continue;
    if (roadLine && distanceToLine(x, y, roadLine) < ctx.px(0.03)) continue;
    ctx.tree(
      x,
      y,
      ctx.px(rng.uniform(0.02, 0.04)),
      'key',
      dark || rng.bernoulli(0.3) ? 'dark green' : 'green',
    );
  }
  const out = [
    `a dense forest with many ${dark ? 'dark green' : 'green'} trees`,
    `the trees are so dense that the ground can hardly be seen`,
    `lots of ${dark ? 'dark green' : 'green'} trees grow closely together in the forest`,
    `this is a piece of thick forest .`,
    `the forest is covered with luxuriant trees`,
  ];
  if (hasRoad) out.push('a narrow road runs through the dense forest', 'a winding path crosses the forest');
  if (clearing)
    out.push(`there is a small clearing ${placeWords(clearing[0] / S, clearing[1] / S)} of the forest`);
  return out;
};

function distanceToLine(x: number, y: number, [a, b]: [Point, Point]): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  return Math.abs(dy * x - dx * y + b[0] * a[1] - b[1] * a[0]) / Math.hypot(dx, dy);
}

const river: SceneComposer = (ctx) => {
  const { rng, S } = ctx;
  const farm = rng.bernoulli(0.4);
  ctx.ground(farm ? mix(GRASS, DRY, 0.5) : GRASS, 0.14);
  const muddy = rng.bernoulli(0.35);
  const colourName = muddy ? 'brown' : pick(rng, ['blue', 'dark green'] as const);
  const colour: Rgb = muddy ? [0.45, 0.38, 0.26] : colourName === 'blue' ? WATER : [0.16, 0.3, 0.26];
  const amp = rng.uniform(0.04, 0.16);
  const horizontal = rng.bernoulli(0.5);
  const line = meander(ctx, horizontal, amp, ctx.px(rng.uniform(0.1, 0.18)), colour);
  ctx.record('river', 'key', colourName, [0.5 * S, 0.5 * S, S, ctx.px(0.15)]);
  const nTrees = rng.int(25) + 10;
  treesAlong(ctx, line, ctx.px(0.1), nTrees);
  const houses = rng.bernoulli(0.35) ? rng.int(4) + 1 : 0;
  for (let i = 0; i < houses; i++) {
    const [lx, ly] = line[rng.int(line.length)] as Point;
    const off = ctx.px(0.25) * (rng.bernoulli(0.5) ? 1 : -1);
    ctx.building(
      horizontal ? lx : lx + off,
      horizontal ? ly + off : ly,
      ctx.px(0.06),
      ctx.px(0.045),
      rng.float(),
      pick(rng, ROOFS),
      'distractor',
      'house',
    );
  }
  const winding = amp > 0.09 ? 'winding' : 'nearly straight';
  const out = [
    `a ${winding} ${colourName} river flows through the ${farm ? 'farmland' : 'green land'}`,
    `many green trees grow on both banks of the river`,
    `the ${colourName} river ${horizontal ? 'crosses the image from left to right' : 'runs from top to bottom'}`,
    `a river with ${winding === 'winding' ? 'curved' : 'straight'} banks passes through the ${farm ? 'fields' : 'grassland'} .`,
    `there is a ${colourName} river surrounded by trees and grass`,
  ];
  if (houses > 0)
    out.push(
      `${countWord(houses, rng)} ${plural('house', houses)} ${houses === 1 ? 'is' : 'are'} near the river`,
    );
  return out;
};

const beach: SceneComposer = (ctx) => {
  const { rng, S, r } = ctx;
  const side = rng.int(4);
  const coast = rng.uniform(0.4, 0.55);
  const wob = ctx.px(rng.uniform(0.01, 0.04));
  const ph = rng.uniform(0, 6);
  const dist = (x: number, y: number) => {
    const [u, v] = side === 0 ? [x, y] : side === 1 ? [y, S - x] : side === 2 ? [x, S - y] : [y, x];
    return v - coast * S - wob * Math.sin((u / S) * 9 + ph); // < 0: sea
  };
  const sea = ctx.textured(WATER, 0.06, 0.4, 0.02);
  const shallow: Rgb = [0.25, 0.55, 0.6];
  const sand = ctx.textured(SAND, 0.06, 0.2, 0.05);
  const landTex = ctx.textured(GRASS, 0.15, 0.2);
  const sandW = ctx.px(rng.uniform(0.18, 0.28));
  r.fill((x, y) => {
    const d = dist(x, y);
    if (d < 0) return mix(sea(x, y), shallow, Math.max(0, 1 + d / ctx.px(0.12)));
    if (d < sandW) return sand(x, y);
    return landTex(x, y);
  });
  // surf line
  r.paint(
    0,
    0,
    S,
    S,
    (x, y) => Math.abs(dist(x, y) + ctx.px(0.012)) < ctx.px(0.008),
    () => COLOURS.white,
    0.75,
  );
  ctx.record('sea', 'key', 'blue', [0.5 * S, 0.5 * S, S, S * coast]);
  ctx.record('beach', 'key', 'beige', [0.5 * S, 0.5 * S, S, sandW]);
  const people = rng.int(3) === 0 ? 0 : rng.int(14) + 2;
  let umbrellas = 0;
  for (let i = 0; i < people; i++) {
    for (let tries = 0; tries < 20; tries++) {
      const x = rng.float() * S;
      const y = rng.float() * S;
      const d = dist(x, y);
      if (d > ctx.px(0.02) && d < sandW * 0.9) {
        if (rng.bernoulli(0.4)) {
          const colour = pick(rng, ['red', 'blue', 'yellow', 'orange'] as const);
          r.ellipse(x, y, ctx.px(0.018), ctx.px(0.018), 0, COLOURS[colour]);
          ctx.record('umbrella', 'key', colour, [x, y, ctx.px(0.036), ctx.px(0.036)]);
          umbrellas++;
        } else {
          r.ellipse(
            x,
            y,
            ctx.px(0.006),
            ctx.px(0.006),
            0,
            pick(rng, [COLOURS.black, COLOURS.red, COLOURS.white]),
          );
          ctx.record('person', 'key', undefined, [x, y, ctx.px(0.012), ctx.px(0.012)]);
        }
        break;
      }
    }
  }
  const trees = rng.int(10);
  for (let i = 0; i < trees; i++) {
    for (let tries = 0; tries < 20; tries++) {
      const x = rng.float() * S;
      const y = rng.float() * S;
      if (dist(x, y) > sandW + ctx.px(0.03)) {
        ctx.tree(x, y, ctx.px(rng.uniform(0.02, 0.035)));
        break;
      }
    }
  }
  const out = [
    `the blue sea is next to a ${pick(rng, ['yellow', 'beige', 'golden'])} sandy beach`,
    `white waves lap the beach`,
    `a long beach lies between the sea and the green land`,
    `this is a beach beside the ocean .`,
    `the sea water near the beach is light blue`,
  ];
  if (umbrellas > 0)
    out.push(
      `${countWord(umbrellas, rng)} colourful ${plural('umbrella', umbrellas)} ${umbrellas === 1 ? 'is' : 'are'} on the beach`,
    );
  if (people - umbrellas > 0) out.push(`some people are walking on the beach`);
  if (people === 0) out.push('there is no one on the beach');
  if (trees > 2) out.push('some green trees are planted behind the beach');
  return out;
};

const parking: SceneComposer = (ctx) => {
  const { rng, S, r } = ctx;
  ctx.ground(mix(GRASS, CONCRETE, 0.3), 0.12);
  const angle = rng.uniform(-0.3, 0.3) + (rng.bernoulli(0.5) ? Math.PI / 2 : 0);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const lotW = ctx.px(rng.uniform(0.7, 0.95));
  const lotH = ctx.px(rng.uniform(0.6, 0.85));
  r.rect(S / 2, S / 2, lotW, lotH, angle, ctx.textured(ASPHALT, 0.06, 0.3, 0.03));
  ctx.record('parking lot', 'key', 'dark grey', [S / 2, S / 2, lotW, lotH]);
  const rows = Math.max(2, Math.floor(lotH / ctx.px(0.12)));
  const slot = ctx.px(0.032);
  const perRow = Math.floor((lotW * 0.9) / slot);
  const fill = rng.uniform(0.15, 0.95);
  let cars = 0;
  const colours = new Map<string, number>();
  for (let i = 0; i < rows; i++) {
    const v = ((i + 0.5) / rows - 0.5) * lotH;
    for (let j = 0; j <= perRow; j++) {
      const u = (j / perRow - 0.5) * lotW * 0.9;
      // white slot lines
      r.rect(
        S / 2 + (u - slot / 2) * c - v * s,
        S / 2 + (u - slot / 2) * s + v * c,
        Math.max(0.6, ctx.px(0.003)),
        ctx.px(0.045),
        angle,
        COLOURS.white,
        0.85,
      );
      if (j < perRow && rng.float() < fill) {
        const colour = pick(rng, ['white', 'white', 'black', 'red', 'blue', 'grey'] as const);
        ctx.car(S / 2 + u * c - v * s, S / 2 + u * s + v * c, angle + Math.PI / 2, colour, 'key', 'car', 1.5);
        colours.set(colour, (colours.get(colour) ?? 0) + 1);
        cars++;
      }
    }
  }
  const trees = rng.int(12);
  for (let i = 0; i < trees; i++) {
    const t = rng.uniform(-0.5, 0.5);
    const edge = rng.int(4);
    const u = edge < 2 ? t * lotW : (edge === 2 ? -1 : 1) * (lotW / 2 + ctx.px(0.05));
    const v = edge < 2 ? (edge === 0 ? -1 : 1) * (lotH / 2 + ctx.px(0.05)) : t * lotH;
    ctx.tree(S / 2 + u * c - v * s, S / 2 + u * s + v * c, ctx.px(rng.uniform(0.02, 0.035)));
  }
  const top = [...colours.entries()].sort((a, b) => b[1] - a[1])[0];
  const fullness = fill > 0.7 ? 'almost full of' : fill < 0.4 ? 'only partly filled with' : 'half full of';
  const out = [
    `the parking lot is ${fullness} cars`,
    `${countPhrase(cars, 'car', rng)} are parked neatly in ${countWord(rows, rng)} rows`,
    `many cars of different colours are parked in the parking lot`,
    `white lines divide the dark parking lot into many spaces`,
    `a large parking lot with ${countWord(rows, rng)} rows of parking spaces .`,
  ];
  if (top)
    out.push(
      `most of the cars in the parking lot are ${top[0]}`.replace(
        /most of the cars in the parking lot are (\w+)/,
        (m, col) => (top[1] > cars / 3 ? m : `some ${col} cars are parked in the parking lot`),
      ),
    );
  if (trees > 2) out.push('some green trees are planted around the parking lot');
  return out;
};

const playground: SceneComposer = (ctx) => {
  const { rng, S, r } = ctx;
  ctx.ground(mix(GRASS, CONCRETE, 0.5), 0.1);
  const angle = rng.uniform(-0.4, 0.4);
  const [cx, cy] = [S / 2 + rng.uniform(-0.08, 0.08) * S, S / 2 + rng.uniform(-0.08, 0.08) * S];
  const L = ctx.px(rng.uniform(0.3, 0.38));
  const R = ctx.px(rng.uniform(0.17, 0.22));
  const trackW = ctx.px(0.06);
  const trackColour: ColourName = rng.bernoulli(0.75) ? 'red' : 'blue';
  const trackRgb: Rgb = trackColour === 'red' ? [0.66, 0.28, 0.2] : [0.22, 0.35, 0.6];
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const stadiumDist = (x: number, y: number) => {
    const u = (x - cx) * c + (y - cy) * s;
    const v = -(x - cx) * s + (y - cy) * c;
    const du = Math.max(Math.abs(u) - L / 2, 0);
    return Math.hypot(du, v);
  };
  r.paint(
    cx - L,
    cy - L,
    cx + L,
    cy + L,
    (x, y) => stadiumDist(x, y) < R + trackW,
    ctx.textured(trackRgb, 0.05, 0.2, 0.03),
  );
  for (let k = 1; k < 4; k++) {
    r.paint(
      cx - L,
      cy - L,
      cx + L,
      cy + L,
      (x, y) => Math.abs(stadiumDist(x, y) - (R + (trackW * k) / 4)) < 0.35,
      () => COLOURS.white,
      0.6,
    );
  }
  const fieldRgb: Rgb = [0.3, 0.55, 0.25];
  r.paint(
    cx - L,
    cy - L,
    cx + L,
    cy + L,
    (x, y) => stadiumDist(x, y) < R,
    (x, y) => {
      const u = (x - cx) * c + (y - cy) * s;
      return shade(fieldRgb, Math.floor(u / ctx.px(0.04)) % 2 === 0 ? 1 : 0.9);
    },
  );
  r.rect(cx, cy, Math.max(0.8, ctx.px(0.004)), R * 1.4, angle, COLOURS.white, 0.8);
  ctx.record('running track', 'key', trackColour, [cx, cy, L + 2 * R, 2 * R]);
  ctx.record('football field', 'key', 'green', [cx, cy, L, 2 * R]);
  const courts = rng.int(3);
  for (let i = 0; i < courts; i++) {
    const x = (i % 2 === 0 ? 0.12 : 0.88) * S;
    const y = rng.uniform(0.2, 0.8) * S;
    r.rect(x, y, ctx.px(0.1), ctx.px(0.16), 0, COLOURS.blue);
    r.rect(x, y, ctx.px(0.08), ctx.px(0.003), 0, COLOURS.white);
    ctx.record('basketball court', 'context', 'blue', [x, y, ctx.px(0.1), ctx.px(0.16)]);
  }
  const buildings = rng.int(4);
  for (let i = 0; i < buildings; i++)
    ctx.building(
      rng.uniform(0.1, 0.9) * S,
      (rng.bernoulli(0.5) ? 0.08 : 0.92) * S,
      ctx.px(0.2),
      ctx.px(0.09),
      0,
      pick(rng, ['grey', 'white', 'red'] as const),
      'context',
    );
  const out = [
    `a ${trackColour} running track surrounds a green football field`,
    `the playground has a ${trackColour} track around a green lawn`,
    `there is an oval ${trackColour} track with white lines in the playground`,
    `a green football field is in the middle of the ${trackColour} runway .`,
    `this playground is ${placeWords(cx / S, cy / S)} of the image`,
  ];
  if (courts > 0)
    out.push(
      `${countWord(courts, rng)} blue basketball ${plural('court', courts)} ${courts === 1 ? 'is' : 'are'} next to the playground`,
    );
  if (buildings > 0) out.push(`some buildings are beside the playground`);
  return out;
};

const storagetanks: SceneComposer = (ctx) => {
  const { rng, S, r } = ctx;
  ctx.ground(BARE, 0.1, CONCRETE);
  const colour: ColourName = rng.bernoulli(0.75) ? 'white' : 'grey';
  const cols = rng.int(3) + 1;
  const rows = rng.int(3) + 1;
  const radius = ctx.px(Math.min(0.09, 0.35 / Math.max(cols, rows)) * rng.uniform(0.8, 1.1));
  const gx = S * rng.uniform(0.2, 0.3);
  const gy = S * rng.uniform(0.2, 0.3);
  let n = 0;
  const big = rng.bernoulli(0.4);
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < rows; j++) {
      if (cols * rows > 2 && rng.bernoulli(0.15)) continue;
      const x = S / 2 + (i - (cols - 1) / 2) * gx;
      const y = S / 2 + (j - (rows - 1) / 2) * gy;
      ctx.tank(x, y, big && i === 0 && j === 0 ? radius * 1.5 : radius, colour);
      n++;
    }
  }
  // pipes and a road
  r.polyline(
    [
      [0, S * 0.93],
      [S, S * 0.93],
    ],
    ctx.px(0.035),
    ctx.textured(ASPHALT, 0.05, 0.2, 0.03),
  );
  r.polyline(
    [
      [S * 0.05, 0],
      [S * 0.05, S],
    ],
    Math.max(1, ctx.px(0.006)),
    COLOURS.grey,
  );
  const N = countWord(n, rng);
  const tanks = plural('storage tank', n);
  const be = n === 1 ? 'is' : 'are';
  return [
    `${N} ${colour} ${tanks} ${be} ${n > 2 ? 'arranged in rows' : 'on the bare ground'}`,
    `there ${be} ${N} round ${tanks} in the industrial area`,
    `${N} ${colour} round ${plural('tank', n)} ${be} on the ground near a road`,
    `some ${colour} circular oil tanks stand on the grey ground .`,
    `a road passes beside the ${colour} storage tanks`,
    big && n > 1
      ? 'one of the storage tanks is bigger than the others'
      : `the ${tanks} ${n === 1 ? 'is' : 'are all'} of the same size`,
  ];
};

const bridge: SceneComposer = (ctx) => {
  const { rng, S, r } = ctx;
  ctx.ground(GRASS, 0.15);
  const horizontal = rng.bernoulli(0.5);
  const riverW = ctx.px(rng.uniform(0.2, 0.3));
  const line = meander(
    ctx,
    horizontal,
    rng.uniform(0.01, 0.04),
    riverW,
    rng.bernoulli(0.5) ? WATER : [0.18, 0.33, 0.28],
  );
  ctx.record('river', 'key', 'blue', [0.5 * S, 0.5 * S, S, riverW]);
  const mid = line[Math.floor(line.length / 2)] as Point;
  const t = rng.uniform(0.3, 0.7) * S;
  const crossing: Point = horizontal ? [t, mid[1]] : [mid[0], t];
  const bw = ctx.px(rng.uniform(0.05, 0.08));
  const len = riverW * 1.6;
  const angle = horizontal ? Math.PI / 2 : 0;
  road(ctx, crossing[0], crossing[1], angle, bw * 0.8);
  r.rect(
    crossing[0] + ctx.sun[0] * bw,
    crossing[1] + ctx.sun[1] * bw,
    horizontal ? bw : len,
    horizontal ? len : bw,
    0,
    [0.05, 0.06, 0.06],
    0.45,
  );
  const deck: ColourName = rng.bernoulli(0.6) ? 'grey' : 'white';
  r.rect(
    crossing[0],
    crossing[1],
    horizontal ? bw : len,
    horizontal ? len : bw,
    0,
    ctx.textured(COLOURS[deck], 0.05, 0.1, 0.02),
  );
  ctx.record('bridge', 'key', deck, [crossing[0], crossing[1], horizontal ? bw : len, horizontal ? len : bw]);
  const cars = rng.int(5);
  for (let i = 0; i < cars; i++) {
    const along = (i / Math.max(1, cars) - 0.4) * len * 0.8;
    const lane = (i % 2 === 0 ? -0.22 : 0.22) * bw;
    const [x, y] = horizontal
      ? [crossing[0] + lane, crossing[1] + along]
      : [crossing[0] + along, crossing[1] + lane];
    ctx.car(x, y, angle, pick(rng, ['white', 'red', 'black', 'blue'] as const), 'key');
  }
  treesAlong(ctx, line, riverW * 0.7, rng.int(20) + 6);
  const out = [
    `a ${deck} bridge crosses the river`,
    `the river is spanned by a ${deck} bridge connecting the two banks`,
    `a bridge over a ${horizontal ? 'horizontal' : 'vertical'} river with green trees on both banks`,
    `there is a bridge across the river .`,
    `both banks of the river are covered with green grass and trees`,
  ];
  out.push(
    cars > 0
      ? `${countWord(cars, rng)} ${plural('car', cars)} ${cars === 1 ? 'is' : 'are'} driving on the bridge`
      : 'there are no cars on the bridge',
  );
  return out;
};

/** The scene classes in label order (label = index). */
export const SCENES = {
  airport,
  harbour,
  farmland,
  residential,
  industrial,
  forest,
  river,
  beach,
  parking,
  playground,
  storagetanks,
  bridge,
} as const satisfies Record<string, SceneComposer>;

/** Scene class names, label order. */
export type SceneClass = keyof typeof SCENES;
export const SCENE_CLASSES = Object.keys(SCENES) as SceneClass[];
