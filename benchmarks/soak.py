"""Soak: the feature-selection scenario N times (default 20) in ONE mlbench process.

H2O is one hand-started loopback JVM reused by every run (--h2o-url); Spark runs in local mode inside the same
process (--isolation inline, so every adapter's Python side lives in this process and a leak would show). After
each run it prints this process's RSS and the H2O JVM's; the goal (issue 9) is RSS after run N within 10% of run 2.
Usage: python benchmarks/soak.py [--runs 20] [--adapters statsmodels,sklearn,h2o,spark] [--dataset advertising]
"""

from __future__ import annotations

import argparse
import gc
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

from mlbench import api


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_h2o(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    import h2o

    jar = Path(h2o.__file__).parent / "backend" / "bin" / "h2o.jar"
    port = _free_port()
    while not _port_free(port + 1):
        port = _free_port()
    cmd = ["java", "-Xmx2g", "-jar", str(jar), "-ip", "127.0.0.1", "-web_ip", "127.0.0.1", "-port", str(port),
           "-name", f"mlbench-soak-{port}", "-ice_root", str(workdir / "ice"), "-log_dir", str(workdir / "logs")]
    with (workdir / "h2o.out").open("wb") as out:
        jvm = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/3/Cloud", timeout=2)
            return jvm, url
        except OSError:
            time.sleep(0.5)
    jvm.kill()
    raise RuntimeError("the H2O JVM did not come up")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--adapters", default="statsmodels,sklearn,h2o,spark")
    parser.add_argument("--dataset", default="advertising")
    args = parser.parse_args()
    adapters = args.adapters.split(",")
    me = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        jvm, url = _start_h2o(workdir) if "h2o" in adapters else (None, None)
        rss: list[float] = []
        try:
            for i in range(1, args.runs + 1):
                t0 = time.perf_counter()
                outcome = api.run(api.RunRequest(
                    scenario="feature-selection", dataset=args.dataset, adapters=adapters, isolation="inline",
                    h2o_url=url, out=workdir / "runs", memory="2G"))
                gc.collect()
                rss.append(me.memory_info().rss / 2**20)
                jvm_mb = psutil.Process(jvm.pid).memory_info().rss / 2**20 if jvm else 0.0
                failed = outcome.manifest["counts"].get("error", 0)
                print(f"run {i:2d}: {time.perf_counter() - t0:6.1f} s, mlbench RSS {rss[-1]:7.1f} MB, "
                      f"H2O JVM RSS {jvm_mb:7.1f} MB, cells failed {failed}", flush=True)
        finally:
            if jvm is not None:
                jvm.kill()
                jvm.wait()
    if len(rss) >= 2:
        ratio = rss[-1] / rss[1]
        verdict = "met" if ratio <= 1.10 else "NOT met"
        print(f"RSS after run {len(rss)} / after run 2: {ratio:.3f} (goal within 10%: {verdict})")


if __name__ == "__main__":
    main()
