/**
 * One string per distinct short text, looked up by its UTF-8 bytes: a corpus read decodes a cell and
 * a model name on every row, yet a corpus holds a few dozen distinct ones. Decoding each again makes a
 * million short strings per million rows (and their garbage); the interner hashes the bytes, checks
 * them against the bytes it kept, and hands back the string it made the first time.
 *
 * The result is always what `bytes.toString('utf8', start, end)` gives for those bytes (the same
 * bytes decode to the same string, invalid sequences included). Memory is bounded: at most
 * `maxEntries` texts of at most `maxBytes` bytes are kept; past either bound, texts are decoded as
 * they come, without being kept.
 */

interface Entry {
  readonly bytes: Uint8Array;
  readonly value: string;
  /** The next entry with the same hash. */
  readonly next: Entry | undefined;
}

/** A bounded cache of decoded texts keyed by their bytes; see the module comment. */
export class TextInterner {
  private readonly entries = new Map<number, Entry>();
  private kept = 0;

  /**
   * @param maxEntries texts kept at most (a read of a corpus with more distinct ones decodes the rest each time)
   * @param maxBytes longer texts are decoded each time, never kept
   */
  constructor(
    readonly maxEntries = 4096,
    readonly maxBytes = 128,
  ) {}

  /** Texts kept so far. */
  get size(): number {
    return this.kept;
  }

  /** The text of `bytes[start, end)`, decoded as UTF-8 once per distinct byte sequence. */
  intern(bytes: Buffer, start: number, end: number): string {
    const length = end - start;
    if (length > this.maxBytes) return bytes.toString("utf8", start, end);
    // FNV-1a over the bytes, seeded with the length.
    let hash = 0x811c9dc5 ^ length;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
    const first = this.entries.get(hash);
    for (let entry = first; entry !== undefined; entry = entry.next) {
      if (sameBytes(entry.bytes, bytes, start, length)) return entry.value;
    }
    const value = bytes.toString("utf8", start, end);
    if (this.kept < this.maxEntries) {
      // A copy: `bytes` is a page that is let go after decoding.
      this.entries.set(hash, { bytes: Uint8Array.prototype.slice.call(bytes, start, end), value, next: first });
      this.kept++;
    }
    return value;
  }
}

function sameBytes(kept: Uint8Array, bytes: Buffer, start: number, length: number): boolean {
  if (kept.length !== length) return false;
  for (let i = 0; i < length; i++) if (kept[i] !== bytes[start + i]) return false;
  return true;
}
