import { Duplex } from "node:stream";
import WebSocket, { type RawData } from "ws";
import { Channel, frame, SUPPORTED_PROTOCOLS } from "./channels.js";

/** The server ended the session with a Failure status (its message), or refused the upgrade. */
export class RemoteCommandError extends Error {
  override readonly name = "RemoteCommandError";
}

/** TLS for an exec URL behind an API server that wants a client certificate (PEM), e.g. a Machine's `exec`. */
export interface RemoteCommandTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/**
 * Opens a remotecommand session (TTY: stdin and stdout) on an exec URL (`http(s)://…/exec/<token>` as Exec
 * returns it, or `ws(s)://…`) and returns it as a byte stream: what is written goes to stdin, stdout arrives as
 * data. Ending the writable side sends v5's close of stdin; the stream ends when the server ends the session
 * (a Failure status destroys it with a RemoteCommandError).
 */
export async function connectRemoteCommand(url: string, tls: RemoteCommandTls = {}): Promise<Duplex> {
  const ws = new WebSocket(url.replace(/^http/, "ws"), [...SUPPORTED_PROTOCOLS], {
    perMessageDeflate: false,
    ...tls,
  });
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      ws.send(frame(Channel.Stdin, chunk), callback);
    },
    final(callback) {
      if (ws.protocol === "v5.channel.k8s.io") ws.send(Buffer.of(Channel.Close, Channel.Stdin), callback);
      else callback();
    },
    destroy(error, callback) {
      ws.close();
      callback(error);
    },
  });
  // An error before the caller holds the stream is raised once it can listen.
  let returned = false;
  const fail = (error: Error) => {
    if (returned) stream.destroy(error);
    else setImmediate(() => stream.destroy(error));
  };
  // Listeners before the handshake completes: a server may send (and close) in the same packet as its 101.
  ws.on("message", (data: RawData) => {
    const message = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    if (message[0] === Channel.Stdout || message[0] === Channel.Stderr) stream.push(message.subarray(1));
    if (message[0] === Channel.Error) {
      const status = JSON.parse(message.subarray(1).toString("utf8")) as {
        status?: string;
        message?: string;
      };
      if (status.status !== "Success") fail(new RemoteCommandError(status.message ?? "session failed"));
    }
  });
  ws.on("close", () => stream.push(null));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_request, response) =>
      reject(
        new RemoteCommandError(`the exec URL answered HTTP ${response.statusCode} instead of upgrading`),
      ),
    );
    ws.once("error", reject);
  });
  ws.on("error", fail);
  returned = true;
  return stream;
}
