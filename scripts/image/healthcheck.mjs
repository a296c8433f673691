// The images' HEALTHCHECK: exits 0 when the provider's ops endpoint answers /readyz with 200. The address is the
// one the provider listens on (IRI_<RUNTIME>_PROVIDER_OPS_ADDRESS); a wildcard host is reached on loopback.
const name = Object.keys(process.env).find((key) => /^IRI_[A-Z]+_PROVIDER_OPS_ADDRESS$/.test(key));
const address = name ? process.env[name] : "";
if (!address) {
  console.error("no IRI_<RUNTIME>_PROVIDER_OPS_ADDRESS set: the ops endpoint is off");
  process.exit(1);
}
const separator = address.lastIndexOf(":");
const host = address.slice(0, separator).replace(/^\[|\]$/g, "");
const port = address.slice(separator + 1);
const target = host === "" || host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
const url = `http://${target.includes(":") ? `[${target}]` : target}:${port}/readyz`;
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(4000) });
  console.log(`${url}: ${response.status} ${(await response.text()).trim()}`);
  process.exit(response.status === 200 ? 0 : 1);
} catch (error) {
  console.error(`${url}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
