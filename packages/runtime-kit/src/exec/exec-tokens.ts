import { randomBytes } from "node:crypto";

export class TooManyTokensError extends Error {
  override readonly name = "TooManyTokensError";
}

/**
 * Single-use exec tokens: 192 random bits (base64url), each bound to one machine and valid for `ttlMs`.
 * At most `maxPerMachine` are outstanding for one machine (so that one tenant asking for Exec in a loop
 * blocks only its own machine) and `max` in all; expired ones are dropped as new ones are issued.
 */
export class ExecTokens {
  readonly #tokens = new Map<string, { machineId: string; expiresAt: number }>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly max = 1000,
    private readonly now: () => number = Date.now,
    private readonly maxPerMachine = 16,
  ) {}

  issue(machineId: string): string {
    this.#dropExpired();
    let forMachine = 0;
    for (const entry of this.#tokens.values()) if (entry.machineId === machineId) forMachine++;
    if (forMachine >= this.maxPerMachine) {
      throw new TooManyTokensError(
        `${this.maxPerMachine} exec sessions of machine ${machineId} are waiting to be opened; try again later`,
      );
    }
    if (this.#tokens.size >= this.max) {
      throw new TooManyTokensError(`${this.max} exec sessions are waiting to be opened; try again later`);
    }
    const token = randomBytes(24).toString("base64url");
    this.#tokens.set(token, { machineId, expiresAt: this.now() + this.ttlMs });
    return token;
  }

  /** The machine the token was issued for, once: the token is gone afterwards. Undefined if unknown or expired. */
  consume(token: string): string | undefined {
    const entry = this.#tokens.get(token);
    if (entry === undefined) return undefined;
    this.#tokens.delete(token);
    return entry.expiresAt > this.now() ? entry.machineId : undefined;
  }

  #dropExpired(): void {
    const now = this.now();
    for (const [token, entry] of this.#tokens) if (entry.expiresAt <= now) this.#tokens.delete(token);
  }
}
