// The bench starts a provider as its own `#!/usr/bin/env -S …` line would: same environment, same node flags.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { startLineOf } from "./provider-process.js";

describe("startLineOf", () => {
  it("reads the environment assignments before node and the flags after it", () => {
    expect(
      startLineOf(
        "#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1 --max-old-space-size=256",
      ),
    ).toEqual({
      env: { MALLOC_ARENA_MAX: "2" },
      nodeFlags: ["--max-semi-space-size=1", "--max-old-space-size=256"],
    });
  });

  it("gives nothing for a line that does not start node through env -S", () => {
    expect(startLineOf("#!/usr/bin/env node")).toEqual({ env: {}, nodeFlags: [] });
    expect(startLineOf("// no start line")).toEqual({ env: {}, nodeFlags: [] });
  });

  it("reads every app's source start line the same way", () => {
    for (const app of ["machine", "volume", "bucket"]) {
      const main = fileURLToPath(new URL(`../../apps/${app}-provider/src/main.ts`, import.meta.url));
      const line = readFileSync(main, "utf8").split("\n", 1)[0] ?? "";
      expect(startLineOf(line).env).toEqual({ MALLOC_ARENA_MAX: "2" });
      expect(startLineOf(line).nodeFlags).toContain("--max-old-space-size=256");
    }
  });
});
