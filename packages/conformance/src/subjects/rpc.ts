// Prefixes RPC errors with the method name so failure reasons say which call failed, keeping the code.
import { ConnectError } from "@connectrpc/connect";

export async function rpc<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const connectError = ConnectError.from(err);
    throw new ConnectError(`${method}: ${connectError.rawMessage}`, connectError.code);
  }
}

export function enumName(values: readonly { number: number; name: string }[], value: number): string {
  return values.find((v) => v.number === value)?.name ?? `unknown enum value ${value}`;
}
