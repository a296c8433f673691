/** Parses "host:port", "[::1]:port" or ":port" (all interfaces); port 0 picks a free port. */
export function parseHostPort(address: string, what: string): { host: string | undefined; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new Error(`invalid ${what} ${JSON.stringify(address)}, want host:port`);
  const host = match[1] ?? match[2];
  return { host: host === "" ? undefined : host, port };
}
