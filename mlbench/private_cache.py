"""mlbench's private per-user cache: where it keeps what it compiled itself (the MOJO server class, the best-subset
kernel when it was not built at install). One home for the checks that make such a directory safe to load code
from: a real directory, owned by this user, that no one else can enter."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

_fallback_cache: Path | None = None  # this process's private temporary cache, when the user cache is unusable


def private(directory: Path) -> bool:
    """True when `directory` is a real directory (not a link), owned by this user, that no one else can enter;
    a directory of ours with looser permissions is tightened to 0700 first."""
    try:
        info = os.lstat(directory)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            return False
        if info.st_mode & 0o077:
            os.chmod(directory, 0o700)
            info = os.lstat(directory)
        return not info.st_mode & 0o077
    except OSError:
        return False


def cache_dir() -> Path:
    """mlbench's private per-user cache: $XDG_CACHE_HOME/mlbench (default ~/.cache/mlbench), created 0700 and
    checked (`private`) on every call. When it cannot be created or fails the check (another user's, a link, a
    read-only home), a fresh `mkdtemp` directory for this process: unpredictable, 0700, removed at exit. Never
    a fixed name in a world-writable directory."""
    global _fallback_cache
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    directory = Path(base) / "mlbench"
    with contextlib.suppress(OSError):
        directory.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        directory.mkdir(mode=0o700, exist_ok=True)
    if private(directory):
        return directory
    if _fallback_cache is None or not private(_fallback_cache):
        _fallback_cache = Path(tempfile.mkdtemp(prefix="mlbench-cache-"))
        atexit.register(shutil.rmtree, str(_fallback_cache), True)
    return _fallback_cache
