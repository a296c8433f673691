#!/usr/bin/python3
"""Checks .github/workflows/images.yml against the local image build, which cannot run the workflow itself: it
builds and pushes every app's image for amd64 and arm64 through scripts/images.sh with the same subcommands the
image test (scripts/test-images.sh) runs, builds nothing by other means, and attests provenance and an SBOM for
every app. Prints PASS/FAIL per check and "N passed, M failed"; exits non-zero on a failure."""

import pathlib
import re
import shlex
import subprocess
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github/workflows/images.yml"
results: list[tuple[str, str | None]] = []


def check(name: str, problem: str | None) -> None:
    results.append((name, problem))


def images_sh_calls(text: str) -> list[list[str]]:
    """The argument lists of every `scripts/images.sh` invocation in shell text."""
    calls = []
    for line in text.splitlines():
        match = re.search(r"scripts/images\.sh\s+(.*)$", line)
        if match:
            calls.append(shlex.split(match.group(1).split("#")[0].replace("\"", "")))
    return calls


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


workflow = yaml.safe_load(WORKFLOW.read_text())
# YAML 1.1 reads the key `on` as true.
triggers = workflow.get("on", workflow.get(True, {}))
push = triggers.get("push", {}) if isinstance(triggers, dict) else {}
check(
    "triggers on pushes to main and on tags",
    None if "main" in push.get("branches", []) and push.get("tags") else f"push trigger is {push}",
)

apps = subprocess.run(
    ["bash", str(REPO / "scripts/images.sh"), "apps"], check=True, capture_output=True, text=True
).stdout.split()
on_disk = sorted(p.name for p in (REPO / "apps").iterdir() if (p / "package.json").exists())
check("every app has a Containerfile", None if sorted(apps) == on_disk else f"images.sh apps {apps}, apps/ {on_disk}")

# The subcommands that make or publish images; the others (apps, ref, oci-args) only answer questions.
BUILD_STEPS = {"base", "build", "push"}
run_text = "\n".join(step.get("run", "") for step in steps(workflow))
calls = images_sh_calls(run_text)
subcommands = sorted({call[0] for call in calls} & BUILD_STEPS)
local_calls = images_sh_calls((REPO / "scripts/test-images.sh").read_text())
local_subcommands = sorted({call[0] for call in local_calls} & BUILD_STEPS)
check(
    "builds and pushes with the subcommands the local image test runs",
    None
    if subcommands == local_subcommands and {"build", "push"} <= set(subcommands)
    else f"workflow runs images.sh {subcommands}, the test {local_subcommands}",
)
for call in calls:
    if call[0] in ("build", "push"):
        arches = sorted(call[i + 1] for i, arg in enumerate(call) if arg == "--arch")
        check(f"images.sh {call[0]} for amd64 and arm64", None if arches == ["amd64", "arm64"] else f"arches {arches}")
        named = [arg for arg in call[1:] if not arg.startswith("-") and arg not in arches and "$" not in arg]
        check(f"images.sh {call[0]} covers every app", None if not named else f"limited to {named}")

other_builders = re.findall(r"\b(?:buildah (?:build|bud|from|commit)|podman build|docker build|mmdebstrap)\b", run_text)
uses = [step.get("uses", "") for step in steps(workflow)]
build_actions = [u for u in uses if re.search(r"build-push-action|buildah-build|setup-buildx", u)]
check(
    "builds nothing outside scripts/images.sh",
    None if not other_builders and not build_actions else f"{other_builders + build_actions}",
)

matrix_apps = sorted(workflow["jobs"].get("attest", {}).get("strategy", {}).get("matrix", {}).get("app", []))
check("attests every app", None if matrix_apps == sorted(apps) else f"attest matrix {matrix_apps}, apps {apps}")
check(
    "attests build provenance and an SBOM",
    None
    if any("attest-build-provenance" in u for u in uses) and any("attest-sbom" in u for u in uses)
    else f"actions used: {uses}",
)
check(
    "installs the image tools with scripts/install-deps.sh images",
    None if re.search(r"scripts/install-deps\.sh images\b", run_text) else "no install-deps.sh images step",
)

failed = 0
for name, problem in results:
    if problem is None:
        print(f"PASS {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {problem}")
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
