/**
 * Thrown by a reconciler when retrying cannot help (e.g. the spec asks for something this provider will never
 * support). The controller stops retrying the key and reports it through `hooks.onTerminal`; the key is
 * reconciled again only when something enqueues it afresh.
 */
export class TerminalError extends Error {
  override readonly name = "TerminalError";

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
