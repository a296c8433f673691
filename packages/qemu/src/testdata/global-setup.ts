import { chmod, stat } from "node:fs/promises";
import { runCommand } from "../host/run-command.js";

/**
 * Every suite runs QEMU confined, as the default --qemu-user iri-qemu: created here as scripts/install-deps.sh
 * does when the host has not got it yet; /dev/net/tun gets udev's mode 0666 as there, for the bridge plugin.
 */
export default async function setup(): Promise<void> {
  const tun = await stat("/dev/net/tun").catch(() => undefined);
  if (tun && (tun.mode & 0o777) !== 0o666) await chmod("/dev/net/tun", 0o666);
  const present = await runCommand(["getent", "passwd", "iri-qemu"]).then(
    () => true,
    () => false,
  );
  if (present) return;
  await runCommand([
    ...["useradd", "--system", "--user-group", "--no-create-home"],
    ...["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "iri-qemu"],
  ]);
}
