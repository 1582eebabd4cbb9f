"""Score an H2O MOJO in one long-lived JVM: the way a service would deploy it, rather than a JVM per call.

The JVM runs `MojoServer.java` (beside this file): h2o-genmodel's `MojoModel.load` and
`EasyPredictModelWrapper`, fed over its stdin and answering on its stdout in a small binary framing (see the
Java source). It listens on no port. It exits when its stdin reaches end of file, so it dies with the Python
process that started it, however that process ends; `close()`, garbage collection and interpreter exit (a
`weakref.finalize`, which runs at exit) also stop it.

An artifact folder is data. The JVM's classpath holds only the h2o-genmodel.jar inside the installed h2o Python
package (`installed_genmodel_jar`, copied out of its h2o.jar) and the server class mlbench compiled itself
(`compile_server`, `javac -cp h2o-genmodel.jar`), both in mlbench's private per-user cache (`cache_dir`: 0700,
owned by this user, checked before every use; a fresh private temporary directory when that cannot be had),
never a jar or class found beside a MOJO. The H2O adapter compiles the server at export, so a scorer process
only starts the JVM. Without a JDK there is no javac and this format is unavailable.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import threading
import weakref
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np

from mlbench.private_cache import cache_dir, private
from mlbench.procs import close_streams, stop

SOURCE = Path(__file__).with_name("MojoServer.java")
MAIN_CLASS = "MojoServer"
STOP_TIMEOUT_S = 5.0
MAX_BATCH_BYTES = 64 << 20  # rows per request are capped so one request stays well under the server's 1 GiB
TASKS = {"classification": "Binomial", "regression": "Regression"}


class MojoJvmError(RuntimeError):
    """The MOJO server could not be built, started or asked; the message says which and why."""


def _java_tool(name: str) -> str | None:
    """`java` or `javac`: from JAVA_HOME when set (as H2O itself looks), else from PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which(name)


def javac_problem() -> str | None:
    """Why the server cannot be compiled here, or None."""
    if _java_tool("javac") is None:
        return "no javac (a JDK, not just a JRE) on PATH or in JAVA_HOME to compile the MOJO server"
    return None


GENMODEL_IN_H2O_JAR = "www/3/h2o-genmodel.jar"  # where h2o.jar keeps the genmodel jar the cluster hands out


def installed_genmodel_jar() -> Path:
    """The h2o-genmodel.jar of the installed h2o Python package (inside its backend/bin/h2o.jar), copied once into
    the private cache under a name that carries its CRC and size. Found without importing h2o."""
    import importlib.util

    spec = importlib.util.find_spec("h2o")
    if spec is None or not spec.submodule_search_locations:
        raise MojoJvmError("scoring a MOJO needs the h2o Python package installed (its h2o-genmodel.jar)")
    h2o_jar = Path(next(iter(spec.submodule_search_locations))) / "backend" / "bin" / "h2o.jar"
    try:
        with zipfile.ZipFile(h2o_jar) as bundle:
            info = bundle.getinfo(GENMODEL_IN_H2O_JAR)
            cache = cache_dir()
            target = cache / f"h2o-genmodel-{info.CRC:08x}-{info.file_size}.jar"
            if target.is_file() and not target.is_symlink() and target.stat().st_size == info.file_size:
                return target
            fd, staging = tempfile.mkstemp(prefix=".genmodel-", dir=cache)
            try:
                with os.fdopen(fd, "wb") as out, bundle.open(info) as member:  # the read checks the CRC
                    shutil.copyfileobj(member, out, 1 << 20)
                os.replace(staging, target)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(staging)
            return target
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise MojoJvmError(f"no h2o-genmodel.jar in the installed h2o package ({h2o_jar}): {exc}") from None


def _cache_name(genmodel_jar: Path) -> str:
    digest = hashlib.sha256(SOURCE.read_bytes() + genmodel_jar.name.encode()).hexdigest()[:12]
    return f"mojo-server-{digest}"


def compile_server(genmodel_jar: Path) -> Path:
    """The directory holding MojoServer.class compiled by mlbench against `genmodel_jar`, in the private cache
    (`cache_dir`); compiled now when the cache does not have it yet. Compiles into a fresh directory and renames
    it into place, so concurrent callers are safe. Never a class found anywhere else."""
    directory = cache_dir() / _cache_name(genmodel_jar)
    if (directory / f"{MAIN_CLASS}.class").is_file() and private(directory):
        return directory
    try:
        return _compile_into(directory, genmodel_jar)
    except OSError as exc:
        raise MojoJvmError(f"cannot compile the MOJO server into {directory.parent}: {exc}") from None


def _compile_into(directory: Path, genmodel_jar: Path) -> Path:
    javac = _java_tool("javac")
    if javac is None:
        raise MojoJvmError(javac_problem())
    if not genmodel_jar.is_file():
        raise MojoJvmError(f"h2o-genmodel jar not found: {genmodel_jar}")
    staging = Path(tempfile.mkdtemp(prefix=".compiling-", dir=directory.parent))  # 0700
    try:
        try:
            done = subprocess.run(
                [javac, "-nowarn", "-encoding", "UTF-8", "-cp", str(genmodel_jar), "-d", str(staging), str(SOURCE)],
                capture_output=True, text=True, timeout=300, check=False)
        except subprocess.TimeoutExpired:
            raise MojoJvmError(f"javac took over 300 s on {SOURCE.name}") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            raise MojoJvmError(f"javac failed on {SOURCE.name}: {detail[0] if detail else done.returncode}")
        try:
            staging.rename(directory)
        except OSError:  # another process got there first
            if not (directory / f"{MAIN_CLASS}.class").is_file() or not private(directory):
                raise
        return directory
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _encode(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack(">i", len(data)) + data


def _stop(proc: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
    """Close the JVM's stdin (it exits on end of input); stop it if it does not go at once. Idempotent."""
    close_streams(proc.stdin, proc.stdout)
    stop(proc, wait=STOP_TIMEOUT_S, grace=STOP_TIMEOUT_S)
    close_streams(stderr)


class MojoJvm:
    """One JVM scoring one MOJO: `predict(X)` sends the rows (columns in `features` order) and returns one value
    per row, P(y = 1) for classification, the prediction for regression."""

    def __init__(self, mojo_path: Path, genmodel_jar: Path, features: list[str], task: str) -> None:
        if task not in TASKS:
            raise MojoJvmError(f"unknown task {task!r}: expected one of {', '.join(TASKS)}")
        if not Path(mojo_path).is_file():
            raise MojoJvmError(f"MOJO not found: {mojo_path}")
        java = _java_tool("java")
        if java is None:
            raise MojoJvmError("no java on PATH or in JAVA_HOME to run the MOJO server")
        classes = compile_server(Path(genmodel_jar))
        self.features = list(features)
        self.task = task
        self._lock = threading.Lock()
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _stop
        classpath = os.pathsep.join([str(Path(genmodel_jar).resolve()), str(classes)])
        self._proc = subprocess.Popen(
            [java, "-XX:-UsePerfData", "-Djava.awt.headless=true", "-cp", classpath, MAIN_CLASS,
             str(Path(mojo_path).resolve()), task],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        self._finalizer = weakref.finalize(self, _stop, self._proc, self._stderr)  # also runs at interpreter exit
        try:
            self._send(struct.pack(">i", len(self.features)) + b"".join(_encode(f) for f in self.features))
            self._status()
            category = self._read_string()
            (inputs,) = struct.unpack(">i", self._read(4))
            names = [self._read_string() for _ in range(inputs)]
            if category != TASKS[task]:
                raise MojoJvmError(f"the MOJO is a {category} model, not a {TASKS[task]} one ({task})")
            missing = [n for n in names if n not in self.features]
            if missing:
                raise MojoJvmError(f"the MOJO needs columns the artifact does not list: {missing}")
        except BaseException:
            self.close()
            raise
        self.pid = self._proc.pid
        self.rows_per_request = max(1, MAX_BATCH_BYTES // (8 * max(1, len(self.features))))

    # ----- framing ---------------------------------------------------------------------------------------

    def _why_dead(self) -> str:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=2)
        text = ""
        with contextlib.suppress(OSError, ValueError):
            self._stderr.seek(0)
            text = self._stderr.read().decode("utf-8", "replace").strip()
        lines = [line for line in text.splitlines() if line.strip()]
        code = self._proc.returncode
        return f"the MOJO server JVM {'exited with code ' + str(code) if code is not None else 'stopped answering'}" \
            + (f": {lines[0]}" if lines else "")

    def _send(self, data: bytes) -> None:
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(data)
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise MojoJvmError(self._why_dead()) from None

    def _read(self, size: int) -> bytes:
        assert self._proc.stdout is not None
        try:
            data = self._proc.stdout.read(size)
        except (OSError, ValueError):
            data = b""
        if len(data) != size:
            raise MojoJvmError(self._why_dead())
        return data

    def _read_string(self) -> str:
        (length,) = struct.unpack(">i", self._read(4))
        return self._read(length).decode("utf-8")

    def _status(self) -> None:
        (status,) = struct.unpack(">i", self._read(4))
        if status != 0:
            raise MojoJvmError(self._read_string())

    # ----- scoring ----------------------------------------------------------------------------------------

    def predict(self, X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.ndim != 2 or X.shape[1] != len(self.features):
            raise MojoJvmError(f"expected rows of {len(self.features)} features, got shape {X.shape}")
        if not self._finalizer.alive:
            raise MojoJvmError("the MOJO server was closed")
        parts = []
        with self._lock:
            for start in range(0, max(len(X), 1), self.rows_per_request):
                chunk = X[start:start + self.rows_per_request]
                self._send(struct.pack(">i", len(chunk)) + np.ascontiguousarray(chunk, dtype=">f8").tobytes())
                self._status()
                parts.append(np.frombuffer(self._read(8 * len(chunk)), dtype=">f8").astype(float))
        return np.concatenate(parts) if parts else np.empty(0)

    def close(self) -> None:
        """Stop the JVM (safe to call twice)."""
        self._finalizer()

    def __enter__(self) -> MojoJvm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
