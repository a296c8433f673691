import { runCommand } from "../host/run-command.js";

/**
 * Every suite runs QEMU confined, as the default --qemu-user iri-qemu: created here as scripts/install-deps.sh
 * does when the host has not got it yet.
 */
export default async function setup(): Promise<void> {
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
