// Classes: the poollets' class mappers read them once at start (and hourly); a failure makes the poollet exit.
import { check, expectOk } from "../check.js";
import type { ConformanceCase } from "../conformance-case.js";

export const classCases: ConformanceCase[] = [
  {
    name: "classes/listed",
    rule:
      "Status (ListBucketClasses for buckets) returns at least one class; every class has a distinct non-empty " +
      "name and capabilities (machine: a non-empty capabilities.resources map).",
    async run({ subject }) {
      const method = subject.runtime === "bucket" ? "ListBucketClasses" : "Status";
      const classes = await expectOk(subject.listClasses(), method);
      check(classes.length > 0, `${method} returned no classes`);
      const names = new Set<string>();
      for (const [i, entry] of classes.entries()) {
        check(entry.name !== "", `${method} class #${i} has an empty name`);
        check(
          entry.problem === undefined,
          () => `${method} class ${JSON.stringify(entry.name)}: ${entry.problem}`,
        );
        check(!names.has(entry.name), `${method} lists class ${JSON.stringify(entry.name)} twice`);
        names.add(entry.name);
      }
    },
  },
];
