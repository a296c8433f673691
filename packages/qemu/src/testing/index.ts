// For tests of machine backends and of the machine provider (not for production): the tiny test guest and
// its IronCore image in the loopback registry.
export { GuestShell } from "./guest-shell.js";
export {
  buildTestGuest,
  GUEST_COMMAND_LINE,
  GUEST_READY_MARKER,
  pushTestGuest,
  type TestGuest,
} from "./test-guest.js";
