// Assertions for conformance cases. A failed rule throws CaseFailure, whose message is the one-line reason
// printed after `FAIL <name>:`; anything else a case throws is reported as an unexpected error.
import { Code, ConnectError } from "@connectrpc/connect";

export class CaseFailure extends Error {
  override readonly name = "CaseFailure";
}

export function fail(reason: string): never {
  throw new CaseFailure(reason);
}

export function check(condition: unknown, reason: string | (() => string)): asserts condition {
  if (!condition) fail(typeof reason === "string" ? reason : reason());
}

function codeName(code: Code): string {
  return Code[code] ?? `code ${code}`;
}

/** Renders an error the way failure reasons show it: `NotFound: machine x not found`. */
export function describeError(err: unknown): string {
  if (err instanceof CaseFailure) return err.message;
  if (err instanceof ConnectError) return `${codeName(err.code)}: ${err.rawMessage}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * Awaits a call that must fail with one of `accepted`. A call that succeeds, or fails with another code, fails
 * the case with `what` and what actually happened.
 */
export async function expectCode(
  call: Promise<unknown>,
  accepted: readonly Code[],
  what: string,
): Promise<Code> {
  const expected = accepted.map(codeName).join(" or ");
  try {
    await call;
  } catch (err) {
    const code = ConnectError.from(err).code;
    if (accepted.includes(code)) return code;
    fail(`${what}: expected ${expected}, got ${describeError(ConnectError.from(err))}`);
  }
  fail(`${what}: expected ${expected}, but the call succeeded`);
}

/** Awaits a call that must succeed; an error fails the case naming `what`. */
export async function expectOk<T>(call: Promise<T>, what: string): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof CaseFailure) throw err;
    fail(`${what}: expected OK, got ${describeError(err)}`);
  }
}

/** Awaits a call that must succeed or fail with one of `accepted`. */
export async function expectOkOr(
  call: Promise<unknown>,
  accepted: readonly Code[],
  what: string,
): Promise<void> {
  try {
    await call;
  } catch (err) {
    const connectError = ConnectError.from(err);
    if (accepted.includes(connectError.code)) return;
    fail(
      `${what}: expected OK or ${accepted.map(codeName).join(" or ")}, got ${describeError(connectError)}`,
    );
  }
}
