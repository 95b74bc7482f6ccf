/**
 * Maps a field path (`['agents', 2, 'calls', 0]`) to its line in the YAML source, using
 * the node ranges the `yaml` parser keeps.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A segment of a field path: a mapping key or a sequence index. */
export type PathSegment = string | number;

/** Renders a field path the way a reader writes it: `agents[2].calls[0]`, `labels["a/b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$-]*$/.test(segment)) {
      out += out === '' ? segment : `.${segment}`;
    } else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** Finds lines for field paths in one parsed document. */
export class SourceMap {
  constructor(
    private readonly document: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /** The 1-based line of an offset. */
  lineAt(offset: number): number {
    return this.lineCounter.linePos(offset).line;
  }

  /**
   * The line of the field at `path`: the line of its key when its parent is a mapping,
   * of the item when its parent is a sequence. When the field is missing, the line of the
   * nearest ancestor that exists (a missing required key is reported where its parent is).
   */
  lineOf(path: readonly PropertyKey[]): number | undefined {
    let node: unknown = this.document.contents;
    let line = this.nodeLine(node);
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(this.document);
      if (isMap(node)) {
        const pair = node.items.find((p) =>
          isScalar(p.key) ? String(p.key.value) === String(segment) : p.key === segment,
        );
        if (pair === undefined) return line;
        line = this.nodeLine(pair.key) ?? this.nodeLine(pair.value) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item: unknown = node.items[segment];
        if (item === undefined) return line;
        line = this.nodeLine(item) ?? line;
        node = item;
      } else {
        return line;
      }
    }
    return line;
  }

  private nodeLine(node: unknown): number | undefined {
    const range = (node as Node | null | undefined)?.range;
    return range === undefined || range === null ? undefined : this.lineAt(range[0]);
  }
}
