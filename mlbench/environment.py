"""What machine and software a run happened on: stored in run.json and compared between runs."""

from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
import threading
from typing import Any

import mlbench
from mlbench.sanitize import redact

# Libraries whose versions decide results; recorded whether or not they are installed.
TRACKED_DISTRIBUTIONS = (
    "numpy", "scipy", "pandas", "pyarrow", "scikit-learn", "statsmodels", "h2o", "pyspark",
    "xgboost", "xgboost-cpu", "lightgbm", "catboost", "psutil", "pydantic", "typer", "rich", "onnx", "onnxruntime",
    "skl2onnx",
)

# The module each tracked distribution installs, where the names differ or several wheels ship one module:
# xgboost-cpu is xgboost's CPU-only wheel and provides the module `xgboost`.
PROVIDES = {"xgboost-cpu": "xgboost", "scikit-learn": "sklearn"}


def module_of(distribution: str) -> str:
    """The importable module a tracked distribution installs ("xgboost" for xgboost-cpu)."""
    return PROVIDES.get(distribution, distribution)


def missing_libraries(libraries: dict[str, str | None]) -> list[str]:
    """The tracked libraries that were not installed, named by distribution, as run.json's `libraries` recorded
    them; a distribution is not missing when another one that provides the same module is installed (xgboost is
    installed when xgboost-cpu is), and two missing wheels of one module are named once (the first)."""
    installed = {module_of(dist) for dist, version in libraries.items() if version}
    missing: dict[str, str] = {}
    for dist, version in libraries.items():
        if not version and module_of(dist) not in installed:
            missing.setdefault(module_of(dist), dist)
    return list(missing.values())


def run_tool(tool: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str] | None:
    """What `tool args` answers, the tool found on PATH; None where it is not there or does not answer (it
    cannot start, or outlasts `timeout`). How mlbench asks Java and R for their versions."""
    path = shutil.which(tool)
    if path is None:
        return None
    try:
        return subprocess.run([path, *args], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None


_early_java: dict[str, Any] = {}  # `ask_java_version`'s thread, then its answer


def ask_java_version() -> None:
    """Begin asking `java -version` now, on a thread, for `java_version` to take the answer from: it starts a JVM
    (~0.05-0.1 s of waiting), which a run asks for in any case (run.json and every record say which Java ran), so
    the run starts it while it prepares rather than waiting for it there."""
    if "thread" in _early_java or java_version.cache_info().currsize:  # asking, or known: nothing to begin
        return

    def ask() -> None:
        _early_java["answer"] = _java_version_now()

    _early_java["thread"] = thread = threading.Thread(target=ask, name="mlbench-java-version", daemon=True)
    thread.start()


@functools.lru_cache(maxsize=1)
def java_version() -> str | None:
    """First line of `java -version`, or None when no working Java is on PATH (the answer to `ask_java_version`
    if it asked; asked again after `cache_clear`)."""
    thread = _early_java.pop("thread", None)
    if thread is not None:
        thread.join()
        if "answer" in _early_java:
            return _early_java.pop("answer")
    return _java_version_now()


def _java_version_now() -> str | None:
    out = run_tool("java", "-version", timeout=20)
    if out is None:
        return None
    # the JVM first says which options it picked up from the environment (JAVA_TOOL_OPTIONS, _JAVA_OPTIONS)
    lines = [line for line in (out.stderr or out.stdout).strip().splitlines() if not line.startswith("Picked up ")]
    return lines[0] if out.returncode == 0 and lines else None


def java_major(version_line: str) -> int | None:
    """17 from 'openjdk version "17.0.15" 2025-04-15', 8 from '... "1.8.0_392"'."""
    try:
        quoted = version_line.split('"')[1]
    except IndexError:
        return None
    head = quoted.split(".")[0]
    if head == "1" and "." in quoted:
        head = quoted.split(".")[1]
    return int(head) if head.isdigit() else None


def java_problem() -> str | None:
    """Why the JVM platforms cannot run here, or None when Java 8-21 works."""
    version = java_version()
    if version is None:
        return "no working Java on PATH (install OpenJDK 17, e.g. apt-get install openjdk-17-jre-headless)"
    major = java_major(version)
    if major is None or not 8 <= major <= 21:
        return f"unsupported Java ({version}); H2O and Spark need Java 8-21 (17 recommended)"
    return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 2)
    except Exception:  # noqa: BLE001 - provenance is best effort
        return None


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for dist in TRACKED_DISTRIBUTIONS:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return versions


def collect() -> dict[str, object]:
    """The full environment recorded in run.json."""
    return {
        "mlbench_version": mlbench.__version__,
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "executable": sys.executable,
        "libraries": library_versions(),
        "java": java_version(),
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "host": platform.node(),
        "command_line": redact(sys.argv),  # a password in a URL (--h2o-url) is never stored
    }
