"""Regenerate README's sample outputs from the stored runs they show, so they cannot go stale.

Each sample in README.md follows a marker naming the command that prints it:

    <!-- sample: mlbench report tests/fixtures/runs/pvalues --width 100 -->
    ```
    ...what that command prints...
    ```

`python docs/readme_samples.py` reruns every marked command (on stored runs: no platform is started) and rewrites
the fenced block after its marker; `--check` changes nothing and exits 1, naming the stale samples, when a
block differs from what its command prints today (tests/test_readme_samples.py runs the check).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SAMPLE = re.compile(r"<!-- sample: (?P<command>mlbench [^\n]*?) -->\n```[^\n]*\n(?P<body>.*?)```", re.DOTALL)


def render(command: str) -> str:
    """What `command` prints (stdout, trailing spaces removed), run from the project root as a user would."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR")}
    env["NO_COLOR"] = "1"
    argv = [sys.executable, "-m", "mlbench", *shlex.split(command)[1:]]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    if proc.returncode != 0:
        raise SystemExit(f"`{command}` exited {proc.returncode}: {proc.stderr.strip()}")
    return "".join(line.rstrip() + "\n" for line in proc.stdout.splitlines())


def refresh(text: str) -> tuple[str, list[str]]:
    """README with every sample regenerated, and the commands whose sample changed."""
    stale: list[str] = []

    def replace(match: re.Match[str]) -> str:
        fresh = render(match["command"])
        if fresh != match["body"]:
            stale.append(match["command"])
        head = match.group(0)[: match.start("body") - match.start()]
        return head + fresh + "```"

    return SAMPLE.sub(replace, text), stale


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a sample is stale")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    if not SAMPLE.search(text):
        print("README.md has no sample markers", file=sys.stderr)
        return 1
    fresh, stale = refresh(text)
    if args.check:
        for command in stale:
            print(f"stale README sample: {command} (run python docs/readme_samples.py)", file=sys.stderr)
        return 1 if stale else 0
    README.write_text(fresh, encoding="utf-8")
    print(f"{len(SAMPLE.findall(text))} samples, {len(stale)} regenerated: {', '.join(stale) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
