"""The H2O cluster an H2O session runs on: a local single-node cluster started (and shut down) here, or an
existing one joined by URL (and left running).

The local cluster is bound to loopback, on a free pair of ports, with its ice root, H2O's logs and the JVM's own
stdout/stderr inside the run directory. An existing cluster is joined with `h2o.connect`, never
`h2o.init(url=...)`, which starts a local JVM when the versions differ. The adapter (`mlbench.platforms.h2o`)
holds one `H2OCluster` per session and runs these calls with the h2o client's printing sent to the platform log.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
import tempfile
from typing import TYPE_CHECKING, Any

from mlbench import procs
from mlbench.errors import PlatformDied

if TYPE_CHECKING:
    from pathlib import Path

    from mlbench.adapter import SessionOptions

def _mem_bytes(text: str) -> int:
    """'4G' / '512M' / '1T' (or a bare number of gigabytes, as h2o.init reads it) -> bytes."""
    text = str(text).strip().upper().removesuffix("B")
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(float(text) * (1 << 30))


def free_loopback_port() -> int:
    """A port p on 127.0.0.1 with p and p + 1 free (H2O listens on both: REST API and internal)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port >= 65535:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of loopback ports for H2O")


# H2O's own options given as system properties (H2O reads `ai.h2o.<option>` as `-<option>`): -disable_net, "do
# not listen to incoming traffic and do not try to discover other nodes, for single node deployments". Without
# it the JVM binds two UDP sockets (cloud discovery) on all interfaces even with -ip 127.0.0.1; with it, only
# the REST port on 127.0.0.1 is open (checked by tests/test_safe_inputs.py).
SINGLE_NODE_ARGS = ("-Dai.h2o.disable_net",)


def start_death(exc: BaseException) -> str | None:
    """The JVM killed by a signal while H2OLocalServer.start waited for it, in the words of every other death
    (procs.exit_cause: "killed by signal 9 (SIGKILL ...)"), rather than h2o's "Server process terminated with error
    code -9: <its last log lines>"; None for any other failure to start (an exit code: H2O's message says why)."""
    match = re.search(r"Server process terminated with error code (-?\d+)", str(exc))
    if match is None or not procs.exit_cause(int(match[1])).startswith("killed"):
        return None
    return f"H2O JVM {procs.exit_cause(int(match[1]))} while its session started"


def _unhealthy(url: str) -> str | None:
    """Why the cluster at `url` cannot do work (unreachable, or a node lost), asked of its REST API with a short
    timeout; None when it says it is healthy."""
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/3/Cloud?skip_ticks=true", timeout=2.0) as response:
            cloud = json.loads(response.read())
    except urllib.error.URLError as exc:
        reason = getattr(exc.reason, "strerror", None) or exc.reason
        return f"H2O cluster at {url} is not reachable ({reason})"
    except (OSError, ValueError) as exc:
        return f"H2O cluster at {url} is not answering ({exc})"
    if not cloud.get("cloud_healthy", True) or cloud.get("bad_nodes"):
        bad, size = cloud.get("bad_nodes", 0), cloud.get("cloud_size")
        return f"H2O cluster at {url} is unhealthy ({bad} bad node(s) of {size})"
    return None


class H2OCluster:
    """One session's cluster: `start_local` or `connect`, then `describe`, then `close` (once).

    `prefix` starts every key the session creates in the cluster; leaving someone else's cluster removes those.
    """

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.conn: Any = None  # h2o's connection
        self.server: Any = None  # h2o's H2OLocalServer when we started the cluster
        self.jvm: Any = None  # psutil.Process of the JVM we started
        self.jvm_dir: Path | None = None  # where the JVM's stdout and stderr go
        self.started = False
        self.death: str | None = None  # how the cluster went, once `liveness` saw it

    def connect(self, url: str) -> None:
        """Join an existing cluster by URL (the caller has checked that it answers)."""
        import h2o

        # connect only: never h2o.init(url=...), which silently starts a local JVM on a version mismatch.
        # strict_version_check=None: refuse a cluster whose version differs from the h2o package (the
        # records would carry the wrong platform version) unless H2O_DISABLE_STRICT_VERSION_CHECK=true
        self.conn = h2o.connect(url=url, verbose=False, strict_version_check=None)

    def start_local(self, options: SessionOptions) -> None:
        """Start one single-node cluster on loopback, owned by this session.

        H2OLocalServer.start is what h2o.init uses to launch a JVM; calling it directly skips h2o.init's first
        step (probing for and silently connecting to any cluster already answering on the port, or one named in
        ~/.h2oconfig), so the cluster we connect to is always the one we started and may shut down.
        """
        import h2o
        import psutil
        from h2o.backend import H2OLocalServer

        root = options.run_dir / "h2o"
        ice_root, log_dir, jvm_dir = root / "ice", root / "logs", root / "jvm"
        self.jvm_dir = jvm_dir
        for directory in (ice_root, log_dir, jvm_dir):
            directory.mkdir(parents=True, exist_ok=True)
        # H2OLocalServer writes the JVM's stdout/stderr to a fresh tempfile.mkdtemp(); point that into the run dir
        before = procs.child_pids()
        saved_tempdir = tempfile.tempdir
        tempfile.tempdir = str(jvm_dir)
        try:
            self.server = H2OLocalServer.start(
                nthreads=max(1, int(options.cores)), max_mem_size=_mem_bytes(options.memory),
                ice_root=str(ice_root), log_dir=str(log_dir), port=f"{free_loopback_port()}+",
                name=f"mlbench-{os.getpid()}", bind_to_localhost=True, enable_assertions=False, verbose=False,
                jvm_custom_args=list(SINGLE_NODE_ARGS),
            )
        except BaseException as exc:
            # a start that times out or is interrupted leaves its JVM running, and h2o keeps no handle on it
            for child in procs.new_children(before).values():
                procs.stop(child)
            death = start_death(exc)
            if death:  # the runner starts it again (--retries), as after a death during a cell
                raise PlatformDied(death) from exc
            raise
        finally:
            tempfile.tempdir = saved_tempdir
        self.started = True
        process = getattr(self.server, "_process", None)
        new = procs.new_children(before)
        if process is not None:
            self.jvm = new.get(process.pid) or psutil.Process(process.pid)
        elif len(new) == 1:
            self.jvm = next(iter(new.values()))
        self.conn = h2o.connect(server=self.server, verbose=False, strict_version_check=None)

    def liveness(self) -> str | None:
        """None while the cluster is up. The JVM we started: its process (once it is gone, its last output
        lines go to the platform log, the worker's stderr). A cluster joined by URL: its health endpoint."""
        if self.death is None:
            if self.started:
                process = getattr(self.server, "_process", None) or self.jvm
                cause = procs.ended(process)
                if cause:
                    self.death = f"H2O JVM (pid {process.pid}) {cause}"
                    if self.jvm_dir is not None:
                        sys.stderr.write(procs.log_tail(sorted(self.jvm_dir.rglob("*.out")) +
                                                        sorted(self.jvm_dir.rglob("*.err"))) + "\n")
            elif self.conn is not None:
                self.death = _unhealthy(str(self.conn.base_url))
        return self.death

    def describe(self) -> dict[str, Any]:
        """What the cluster says about itself, and whether (and as which JVM) we started it."""
        import h2o

        cluster = h2o.cluster()
        facts: dict[str, Any] = {"jvm_pid": self.jvm.pid} if self.jvm is not None else {}
        return {
            **facts,
            "cluster_version": str(cluster.version),
            "started_by_mlbench": self.started,
            "computes_elsewhere": not self.started,  # a joined cluster's CPU is not in the measured process tree
            "url": self.conn.base_url,
            "nodes": int(cluster.cloud_size),
        }

    def close(self) -> None:
        """Stop the cluster we started (its JVM, whose shutdown hooks run on SIGTERM), or just leave one we joined.

        Not H2O's REST shutdown for our own JVM: after `POST /3/Shutdown` the JVM takes 2.4 s to exit (measured
        here), against 0.4 s for SIGTERM, and nothing in a local ice root in the run directory needs flushing."""
        try:
            if not self.started and self.conn is not None:
                self._leave()
            elif self.conn is not None:
                with contextlib.suppress(Exception):
                    self.conn.close()
        finally:
            self._stop_jvm()
            self.conn = None

    def _leave(self) -> None:
        """Someone else's cluster: remove what we put there (every key has our prefix), close our session, and
        leave it running."""
        import h2o

        ours: list[str] = []
        with contextlib.suppress(Exception):
            ours = [str(k) for k in h2o.ls()["key"] if str(k).startswith(self.prefix)]
        for key in ours:
            with contextlib.suppress(Exception):
                h2o.remove(key)
        with contextlib.suppress(Exception):
            self.conn.close()

    def _stop_jvm(self) -> None:
        """Make sure the JVM we started is gone: terminate it (its shutdown hooks run), kill it if it lingers."""
        jvm, self.jvm = self.jvm, None
        if jvm is not None:
            procs.stop(jvm)
        process = getattr(self.server, "_process", None)
        if process is not None:
            with contextlib.suppress(Exception):
                process.poll()  # reap it, so h2o's own atexit hook finds nothing left to stop
