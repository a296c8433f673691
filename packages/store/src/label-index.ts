// Which ids carry a label key=value, so that a List with a selector visits only the records that can match.

export class LabelIndex {
  private readonly byKey = new Map<string, Map<string, Set<string>>>();

  add(id: string, labels: Readonly<Record<string, string>>): void {
    for (const [key, value] of Object.entries(labels)) {
      let byValue = this.byKey.get(key);
      if (byValue === undefined) {
        byValue = new Map();
        this.byKey.set(key, byValue);
      }
      let ids = byValue.get(value);
      if (ids === undefined) {
        ids = new Set();
        byValue.set(value, ids);
      }
      ids.add(id);
    }
  }

  remove(id: string, labels: Readonly<Record<string, string>>): void {
    for (const [key, value] of Object.entries(labels)) {
      const byValue = this.byKey.get(key);
      const ids = byValue?.get(value);
      if (byValue === undefined || ids === undefined) continue;
      ids.delete(id);
      if (ids.size > 0) continue;
      byValue.delete(value);
      if (byValue.size === 0) this.byKey.delete(key);
    }
  }

  /**
   * The smallest id set among the selector's pairs: a superset of the matches. Empty when some pair has no
   * record at all. The selector must have at least one pair.
   */
  candidates(selector: Readonly<Record<string, string>>): ReadonlySet<string> {
    let smallest: ReadonlySet<string> | undefined;
    for (const [key, value] of Object.entries(selector)) {
      const ids = this.byKey.get(key)?.get(value);
      if (ids === undefined) return EMPTY;
      if (smallest === undefined || ids.size < smallest.size) smallest = ids;
    }
    return smallest ?? EMPTY;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
