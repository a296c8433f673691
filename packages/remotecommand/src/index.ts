export { Channel, SUPPORTED_PROTOCOLS } from "./channels.js";
export { handleRemoteCommandUpgrade, type RemoteCommandOptions } from "./remote-command-upgrade.js";
