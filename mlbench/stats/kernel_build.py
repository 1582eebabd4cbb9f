"""Building the best-subset search's C kernel (subsets_kernel.c) into a shared library: at install time by
hatch_build.py (so no search ever waits for a compiler), or, from a checkout that was never built, once into the
private cache on first use (about a second with cc; without a C compiler the numpy engine answers).

Standard library only: hatch_build.py runs this file before mlbench's dependencies are installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SOURCE = Path(__file__).with_name("subsets_kernel.c")
# -ffp-contract=off: no fused multiply-adds, so the search's rounding (and its tie decisions) are the same on every
# x86-64 machine and in every thread; -O3 without -march: the library runs on any CPU of its architecture.
FLAGS = ["-O3", "-ffp-contract=off", "-fPIC", "-shared", "-pthread"]


def library_name(source: Path = SOURCE) -> str:
    """The library's file name, carrying the source's hash: a stale build is never loaded."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    return f"_subsets_kernel-{digest}.so"


def compiler() -> str | None:
    """The C compiler: $CC, else cc or gcc on PATH."""
    for name in (os.environ.get("CC"), "cc", "gcc"):
        if name and shutil.which(name):
            return name
    return None


def build(directory: Path, source: Path = SOURCE, replace_older: bool = False) -> tuple[Path | None, str]:
    """Compile the kernel into `directory` (written under a temporary name, then renamed: concurrent builders are
    safe); `replace_older` removes the builds of other sources there (the install's own directory, not the shared
    cache, where other checkouts' builds live). Returns (the library, "") or (None, why not)."""
    cc = compiler()
    if cc is None:
        return None, "no C compiler (cc, gcc or $CC) to build the best-subset kernel"
    target = directory / library_name(source)
    fd, staging = tempfile.mkstemp(prefix=".kernel-", suffix=".so", dir=directory)
    os.close(fd)
    try:
        done = subprocess.run([cc, *FLAGS, "-o", staging, str(source), "-lm"], capture_output=True, text=True,
                              timeout=300, check=False)
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["no message"])[0]
            return None, f"{cc} could not build the best-subset kernel: {first}"
        os.chmod(staging, 0o755)
        os.replace(staging, target)
        if replace_older:
            for older in directory.glob("_subsets_kernel-*.so"):
                if older != target:
                    older.unlink(missing_ok=True)
        return target, ""
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"{cc} could not build the best-subset kernel: {exc}"
    finally:
        if os.path.exists(staging):
            os.unlink(staging)
