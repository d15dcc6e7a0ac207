/**
 * The in-memory rows of a store (internal): items and their vectors per kind, an id kept once. Shared by the
 * embedded store of `@pir/search/node` and the browser's `IdbStore`; browser-safe.
 */
import { type ItemKind, kindOf, StoreError, type StoreItem } from './index.js';

/** Every kind of item, in a fixed order. */
export const KINDS: readonly ItemKind[] = ['image', 'caption'];

/** The rows of one kind: `items[r]` and `vectors[r·dim, (r+1)·dim)` for r < size. */
export interface GalleryPart {
  items: StoreItem[];
  vectors: Float32Array;
  size: number;
}

const empty = (): GalleryPart => ({ items: [], vectors: new Float32Array(0), size: 0 });

/** Items and vectors per kind, in insertion order; an id is kept once (the first one added). */
export class Gallery {
  readonly parts: Record<ItemKind, GalleryPart> = { image: empty(), caption: empty() };
  private readonly ids = new Map<string, { kind: ItemKind; row: number }>();

  constructor(readonly dim: number) {}

  /** Forget every row. */
  clear(): void {
    for (const kind of KINDS) this.parts[kind] = empty();
    this.ids.clear();
  }

  /** Rows of one kind, or of all. */
  size(kind?: ItemKind): number {
    return kind === undefined ? this.parts.image.size + this.parts.caption.size : this.parts[kind].size;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** The ids among `ids` not held, in order. */
  missing(ids: readonly string[]): string[] {
    return ids.filter((id) => !this.ids.has(id));
  }

  get(id: string): StoreItem | undefined {
    const at = this.ids.get(id);
    return at === undefined ? undefined : this.parts[at.kind].items[at.row];
  }

  /** A copy of an item's vector [dim], or `undefined`. */
  vector(id: string): Float32Array | undefined {
    const at = this.ids.get(id);
    if (at === undefined) return undefined;
    return this.parts[at.kind].vectors.slice(at.row * this.dim, (at.row + 1) * this.dim);
  }

  /** The items of one kind, in order. */
  list(kind: ItemKind): StoreItem[] {
    return this.parts[kind].items.slice(0, this.parts[kind].size);
  }

  /** The part of `kind`, checked (a caller's `kind` option). */
  part(kind: ItemKind, where: string): GalleryPart {
    if (!KINDS.includes(kind))
      throw new StoreError(where, 'kind', `kind must be 'image' or 'caption', got ${String(kind)}`);
    return this.parts[kind];
  }

  /** Room for `more` rows of a kind (grown by half again at least: amortised copies). */
  reserve(kind: ItemKind, more: number): void {
    const part = this.parts[kind];
    const need = (part.size + more) * this.dim;
    if (need <= part.vectors.length) return;
    const grown = new Float32Array(Math.max(need, Math.ceil(part.vectors.length * 1.5), 256 * this.dim));
    grown.set(part.vectors.subarray(0, part.size * this.dim));
    part.vectors = grown;
  }

  /**
   * Append `items` with their vectors (`vecs` [items.length × dim]), skipping ids already held (or repeated
   * inside `items`). Rows are copied in runs of consecutive items of one kind. @returns how many were new
   */
  append(items: readonly StoreItem[], vecs: Float32Array): number {
    const dim = this.dim;
    const keep: { i: number; kind: ItemKind }[] = [];
    const fresh = new Set<string>();
    const more: Record<ItemKind, number> = { image: 0, caption: 0 };
    items.forEach((it, i) => {
      if (this.ids.has(it.id) || fresh.has(it.id)) return;
      fresh.add(it.id);
      const kind = kindOf(it);
      keep.push({ i, kind });
      more[kind]++;
    });
    for (const kind of KINDS) this.reserve(kind, more[kind]);
    for (let a = 0; a < keep.length; ) {
      const { i: first, kind } = keep[a] as { i: number; kind: ItemKind };
      let b = a + 1;
      while (b < keep.length && (keep[b] as { i: number }).i === first + (b - a) && keep[b]?.kind === kind)
        b++;
      const part = this.parts[kind];
      part.vectors.set(vecs.subarray(first * dim, (first + (b - a)) * dim), part.size * dim);
      this.claim(
        kind,
        keep.slice(a, b).map((k) => items[k.i] as StoreItem),
      );
      a = b;
    }
    return keep.length;
  }

  /**
   * Take `items` as the next rows of `kind` whose vectors the caller has already written past the end
   * (after {@link reserve}: `parts[kind].vectors` from `size · dim`). The ids must be new.
   */
  claim(kind: ItemKind, items: readonly StoreItem[]): void {
    const part = this.parts[kind];
    for (const it of items) {
      part.items.push(it);
      this.ids.set(it.id, { kind, row: part.size });
      part.size++;
    }
  }
}
