interface KeyState {
  /** Settles when the last exclusive section called so far has finished. */
  tail: Promise<void>;
  /** Shared sections called since that exclusive one: the next exclusive section waits for them. */
  shared: Set<Promise<void>>;
}

/**
 * A read-write lock per key, in call order; other keys never wait. For in-process critical sections: the
 * image cache's collector decides and removes exclusively, the clones of a cache image share it.
 */
export class KeyedLock {
  private readonly keys = new Map<string, KeyState>();

  /** Exclusive: runs after every section of the key called before it, and nothing of the key runs meanwhile. */
  async run<T>(key: string, section: () => Promise<T>): Promise<T> {
    const state = this.state(key);
    const before = Promise.all([state.tail, ...state.shared]);
    const held = released();
    const tail = before.then(() => held.done);
    state.tail = tail;
    state.shared = new Set();
    await before;
    try {
      return await section();
    } finally {
      held.release();
      if (state.tail === tail && state.shared.size === 0) this.keys.delete(key);
    }
  }

  /** Shared: runs after the exclusive sections called before it, alongside the other shared ones. */
  async share<T>(key: string, section: () => Promise<T>): Promise<T> {
    const state = this.state(key);
    const before = state.tail;
    const held = released();
    const shared = state.shared;
    shared.add(held.done);
    await before;
    try {
      return await section();
    } finally {
      held.release();
      shared.delete(held.done);
      if (state.tail === before && state.shared.size === 0) this.keys.delete(key);
    }
  }

  private state(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) {
      state = { tail: Promise.resolve(), shared: new Set() };
      this.keys.set(key, state);
    }
    return state;
  }
}

function released(): { done: Promise<void>; release: () => void } {
  let release!: () => void;
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { done, release };
}
