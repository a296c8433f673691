// Which ids carry a label key=value, so that a List with a selector visits only the records that can match.
// Most values name one object (the poollets' machine-uid, machine-name): such a value holds its id alone,
// not a Set of one (~100 bytes more per record and label), and becomes a Set when a second id shares it.

type Ids = string | Set<string>;

export class LabelIndex {
  private readonly byKey = new Map<string, Map<string, Ids>>();

  add(id: string, labels: Readonly<Record<string, string>>): void {
    for (const [key, value] of Object.entries(labels)) {
      let byValue = this.byKey.get(key);
      if (byValue === undefined) {
        byValue = new Map();
        this.byKey.set(key, byValue);
      }
      const ids = byValue.get(value);
      if (ids === undefined || ids === id) byValue.set(value, id);
      else if (typeof ids === "string") byValue.set(value, new Set([ids, id]));
      else ids.add(id);
    }
  }

  remove(id: string, labels: Readonly<Record<string, string>>): void {
    for (const [key, value] of Object.entries(labels)) {
      const byValue = this.byKey.get(key);
      const ids = byValue?.get(value);
      if (byValue === undefined || ids === undefined) continue;
      if (typeof ids !== "string") {
        ids.delete(id);
        if (ids.size > 1) continue;
        const [last] = ids;
        if (last !== undefined) {
          byValue.set(value, last);
          continue;
        }
      } else if (ids !== id) continue;
      byValue.delete(value);
      if (byValue.size === 0) this.byKey.delete(key);
    }
  }

  /**
   * The smallest id set among the selector's pairs: a superset of the matches. Empty when some pair has no
   * record at all. The selector must have at least one pair.
   */
  candidates(selector: Readonly<Record<string, string>>): Iterable<string> {
    let smallest: Ids | undefined;
    for (const [key, value] of Object.entries(selector)) {
      const ids = this.byKey.get(key)?.get(value);
      if (ids === undefined) return EMPTY;
      if (smallest === undefined || sizeOf(ids) < sizeOf(smallest)) smallest = ids;
    }
    if (smallest === undefined) return EMPTY;
    return typeof smallest === "string" ? [smallest] : smallest;
  }
}

function sizeOf(ids: Ids): number {
  return typeof ids === "string" ? 1 : ids.size;
}

const EMPTY: readonly string[] = [];
