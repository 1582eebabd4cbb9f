"""What README's two set-up commands cost a newcomer: the install's time and disk, and the test suite's time.

    python benchmarks/setup_cost.py                  # a fresh venv: install time and size, then the fast subset
    python benchmarks/setup_cost.py --full           # ... and the full suite (JVM tests included)
    python benchmarks/setup_cost.py --no-install     # only the suites, in this environment

The install runs `pip install -e ".[all,dev]"` in a new virtual environment with pip's cache off (a newcomer's
first install downloads everything); its size is what the venv holds afterwards, with the largest packages. The
suites run in this interpreter's environment (`python -m pytest`, and the fast subset without JVMs or slow
tests). Absolute times depend on the machine and its load: README states them with the date and machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAST_SUBSET = "not h2o and not spark and not slow"


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def install_cost() -> None:
    with tempfile.TemporaryDirectory(prefix="mlbench-venv-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        started = time.monotonic()
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "--no-cache-dir",
                        "-e", ".[all,dev]"], cwd=ROOT, check=True)
        elapsed = time.monotonic() - started
        site = next((venv / "lib").glob("python*/site-packages"))
        packages = sorted(((_size(p), p.name) for p in site.iterdir() if p.is_dir()), reverse=True)[:5]
        print(f"install: {elapsed / 60:.1f} min, venv {_size(venv) / 1e9:.2f} GB "
              f"(largest: {', '.join(f'{name} {size / 1e9:.2f} GB' for size, name in packages)})")


def suite_time(label: str, *pytest_args: str) -> None:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args],
                          cwd=ROOT, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr.strip()[-200:]
    print(f"{label}: {elapsed / 60:.1f} min ({tail})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also time the full suite (JVM tests included)")
    parser.add_argument("--no-install", action="store_true", help="skip the fresh-venv install")
    args = parser.parse_args()
    if not args.no_install:
        install_cost()
    suite_time(f'fast subset (-m "{FAST_SUBSET}")', "-m", FAST_SUBSET)
    if args.full:
        suite_time("full suite")


if __name__ == "__main__":
    main()
