import type { SettingDefinition } from "@iri/backend-api";
import { expect, it } from "vitest";
import type { AnyBackendFactory } from "../backend/open-backend.js";
import { composeSettings } from "./compose-settings.js";
import { parseSettings } from "./settings.js";

const setting = (flag: string, env: string): SettingDefinition => ({
  flag,
  env,
  kind: "string",
  default: "",
  description: flag,
});

const factory = (name: string, settings: Record<string, SettingDefinition>): AnyBackendFactory<unknown> => ({
  name,
  settings,
  open: async () => ({}),
});

const app = { socketPath: setting("socket-path", "IRI_TEST_PROVIDER_SOCKET_PATH") };

it("puts every backend's settings after the app's, each variable under the app's prefix", () => {
  const composed = composeSettings(
    app,
    [
      factory("one", { oneEndpoint: setting("one-endpoint", "ONE_ENDPOINT") }),
      factory("two", { twoEndpoint: setting("two-endpoint", "TWO_ENDPOINT") }),
    ],
    "IRI_TEST_PROVIDER_",
  );
  expect(Object.values(composed).map((d) => d.env)).toEqual([
    "IRI_TEST_PROVIDER_SOCKET_PATH",
    "IRI_TEST_PROVIDER_ONE_ENDPOINT",
    "IRI_TEST_PROVIDER_TWO_ENDPOINT",
  ]);
  const values = parseSettings(composed, [], { IRI_TEST_PROVIDER_TWO_ENDPOINT: "http://two" }) as Record<
    string,
    unknown
  >;
  expect(values.twoEndpoint).toBe("http://two");
});

it("refuses two settings sharing a key, a flag or an environment variable, naming both owners", () => {
  const compose = (settings: Record<string, SettingDefinition>) =>
    composeSettings(
      app,
      [factory("one", { oneX: setting("one-x", "ONE_X") }), factory("two", settings)],
      "IRI_TEST_PROVIDER_",
    );
  expect(() => compose({ oneX: setting("two-x", "TWO_X") })).toThrow(
    "settings: backend one and backend two both declare setting oneX",
  );
  expect(() => compose({ twoX: setting("socket-path", "TWO_X") })).toThrow(
    "settings: the app and backend two both declare --socket-path",
  );
  expect(() => compose({ twoX: setting("two-x", "SOCKET_PATH") })).toThrow(
    "the app and backend two both declare IRI_TEST_PROVIDER_SOCKET_PATH",
  );
});
