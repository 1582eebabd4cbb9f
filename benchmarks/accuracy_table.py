"""README's accuracy table, made from a run rather than by hand.

Runs `mlbench run accuracy` (NIST's suite on every default platform; JVMs, R and TensorFlow included: about
2-4 minutes here) the way a user does, then prints the accuracy table as `mlbench report <run> --width 100`
draws it, with its float64 ceiling column. `--readme` also replaces the fenced block under README's marker
`<!-- made by: python benchmarks/accuracy_table.py ... -->` with it (the marker names the run it came from).

Usage: python benchmarks/accuracy_table.py [--adapters a,b] [--out DIR] [--run-dir EXISTING_RUN] [--readme]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARKER = re.compile(r"(?P<head><!-- made by: python benchmarks/accuracy_table\.py[^\n]*-->\n```[^\n]*\n)"
                    r"(?P<body>.*?)```", re.DOTALL)
WIDTH = 100


def _mlbench(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """`python -m mlbench ...` from this checkout, uncoloured, as a user's terminal of WIDTH columns."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FORCE_COLOR")}
    env.update(NO_COLOR="1", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "mlbench", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def run_accuracy(out: Path, adapters: str | None) -> Path:
    """`mlbench run accuracy` into `out`; the run's directory. Exit 1 (a platform failed a cell, e.g. Spark on
    Filip) is a measurement, not an error of the run."""
    proc = _mlbench("run", "accuracy", "--out", str(out), *(["--adapters", adapters] if adapters else []),
                    timeout=1800)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"mlbench run accuracy exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    runs = sorted((p for p in out.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    if not runs:
        raise SystemExit(f"mlbench run accuracy left no run in {out}")
    return runs[-1]


def table(run_dir: Path) -> str:
    """The accuracy table as `mlbench report` prints it at WIDTH columns (trailing spaces removed)."""
    proc = _mlbench("report", str(run_dir), "--width", str(WIDTH), timeout=300)
    if proc.returncode != 0:
        raise SystemExit(f"mlbench report {run_dir} exited {proc.returncode}: {proc.stderr.strip()}")
    return "".join(line.rstrip() + "\n" for line in proc.stdout.splitlines())


def write_readme(text: str, run_dir: Path) -> None:
    readme = README.read_text(encoding="utf-8")
    if not MARKER.search(readme):
        raise SystemExit("README.md has no `<!-- made by: python benchmarks/accuracy_table.py -->` marker")
    head = f"<!-- made by: python benchmarks/accuracy_table.py (run {run_dir.name}) -->\n```\n"
    README.write_text(MARKER.sub(lambda _: head + text + "```", readme, count=1), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapters", default=None, help="default: the accuracy scenario's (every platform)")
    parser.add_argument("--out", type=Path, default=None, help="where the run is kept (default: a temporary dir)")
    parser.add_argument("--run-dir", type=Path, default=None, help="print an existing run's table, run nothing")
    parser.add_argument("--readme", action="store_true", help="also replace README's block under the marker")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = args.run_dir or run_accuracy((args.out or Path(tmp)).resolve(), args.adapters)
        text = table(run_dir)
        print(text, end="")
        if args.readme:
            write_readme(text, run_dir)
            print(f"README.md: accuracy table from {run_dir.name}", file=sys.stderr)


if __name__ == "__main__":
    main()
