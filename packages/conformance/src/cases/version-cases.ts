// Version: the one call every poollet makes at start; an error there makes the poollet exit.
import { check, expectOk } from "../check.js";
import type { ConformanceCase } from "../conformance-case.js";

// semver.org 2.0.0, without a leading "v".
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export const versionCases: ConformanceCase[] = [
  {
    name: "version/accepts-any-request",
    rule: "Version never fails, whatever the request's version field holds (poollets exit when it fails).",
    async run({ subject }) {
      await expectOk(subject.version(""), "Version with an empty version field");
      await expectOk(
        subject.version("junk :// \u0000 ☃ not-a-version 999.0"),
        "Version with a junk version field",
      );
    },
  },
  {
    name: "version/runtime-name",
    rule: "runtime_name is non-empty and contains no `://` (it becomes the scheme of `<runtime_name>://<id>`).",
    async run({ subject }) {
      const { runtimeName } = await expectOk(subject.version(""), "Version");
      check(runtimeName !== "", "runtime_name is empty");
      check(!runtimeName.includes("://"), `runtime_name ${JSON.stringify(runtimeName)} contains "://"`);
    },
  },
  {
    name: "version/runtime-version-semver",
    rule: "runtime_version is a semantic version (semver 2.0.0, no leading v).",
    async run({ subject }) {
      const { runtimeVersion } = await expectOk(subject.version(""), "Version");
      check(SEMVER.test(runtimeVersion), `runtime_version ${JSON.stringify(runtimeVersion)} is not semver`);
    },
  },
];
