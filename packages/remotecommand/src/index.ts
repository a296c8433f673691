export { Channel, SUPPORTED_PROTOCOLS } from "./channels.js";
export { connectRemoteCommand, RemoteCommandError, type RemoteCommandTls } from "./remote-command-client.js";
export { handleRemoteCommandUpgrade, type RemoteCommandOptions } from "./remote-command-upgrade.js";
