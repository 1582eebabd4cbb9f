"""`mlbench serve` under load: 8 client threads x 500 single-row POST /predict each, keep-alive connections, on a
small ONNX artifact (sklearn logistic regression). Prints requests per second, p50/p99 latency and the server's RSS
before and after the load, then its peak RSS during one oversized body (50 MB; with the limit it is refused
unread).

With --base REV (default bd08fc1, before the body limit and strict numbers) it serves the same artifact with the
code at REV too (a `git archive` of REV in a temporary directory, first on PYTHONPATH), alternated A B A B ... in
one run, and prints the median of the per-pair ratios (issue 28: throughput and p99 within 10% of before).
On a shared machine the HTTP figures swing by 2x from one run to the next; the server's own CPU time per
request (`IN_PROCESS`: the ASGI app called directly, no sockets, CPU seconds of that process) is printed beside
them, alternated the same way, as the steadier measure of what the change costs per request.
Usage: python benchmarks/serve_load.py [--base bd08fc1] [--pairs 2] [--clients 8] [--requests 500]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from mlbench.deploy.evaluate import wait_for_health
from mlbench.procs import kill_tree

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BASE = "bd08fc1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _artifact(directory: Path) -> tuple[Path, np.ndarray]:
    """A small ONNX classifier exported by this checkout's sklearn adapter, and rows to send."""
    from mlbench.adapter import DataSource, SessionOptions, TrainSpec
    from mlbench.datasets import synthetic_task
    from mlbench.platforms.sklearn import SklearnAdapter

    train = synthetic_task("classification", 2000, seed=1).frame
    test = synthetic_task("classification", 500, seed=2).frame
    train.to_parquet(directory / "train.parquet", index=False)
    test.to_parquet(directory / "test.parquet", index=False)
    features = [c for c in train.columns if c != "y"]
    source = DataSource("bench", directory / "train.parquet", directory / "train.parquet", "y", features, len(train),
                        test_parquet_path=directory / "test.parquet", task="classification")
    adapter = SklearnAdapter()
    adapter.start_session(SessionOptions(run_dir=directory))
    adapter.load(source)
    model = adapter.fit(TrainSpec("logistic", "classification"))
    adapter.predict(model)
    (onnx,) = [a for a in adapter.export(model, directory)["artifacts"] if a.kind == "onnx"]
    return Path(onnx.path), test[features].to_numpy(dtype=float)


def _rss_mb(pid: int) -> float:
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total / 2**20


def _client(port: int, bodies: list[bytes], latencies: list[float], errors: list[str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    try:
        for body in bodies:
            t = time.perf_counter()
            connection.request("POST", "/predict", body=body, headers=headers)
            answer = connection.getresponse()
            answer.read()
            latencies.append(time.perf_counter() - t)
            if answer.status != 200:
                errors.append(str(answer.status))
    finally:
        connection.close()


def _oversized(port: int, megabytes: int) -> str:
    """One body of `megabytes` MB: its answer (413 with the limit, sent before the body is read, so the client may
    see its connection closed while still sending; 200 or 422 without)."""
    row = "[" + ", ".join(["0.5"] * 10) + "]"
    body = ('{"rows": [' + ", ".join([row] * (megabytes * 2**20 // (len(row) + 2))) + "]}").encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        with contextlib.suppress(OSError):  # the server answered and closed before the body was sent: read it
            connection.request("POST", "/predict", body=body, headers={"Content-Type": "application/json"})
        return str(connection.getresponse().status)
    except OSError as exc:
        return type(exc).__name__
    finally:
        connection.close()


def serve_once(pythonpath: Path, model: Path, X: np.ndarray, clients: int, requests: int) -> dict[str, Any]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([sys.executable, "-m", "mlbench", "serve", model.name, "--port", str(port)],
                                  cwd=model.parent, env=env, stdout=log, stderr=log)  # cwd: an older meta's path
        try:
            if not wait_for_health(port, server):
                log.seek(0)
                raise RuntimeError(f"the server did not come up: {log.read().decode()[-500:]}")
            bodies = [json.dumps({"rows": [X[i % len(X)].tolist()]}).encode() for i in range(requests)]
            _client(port, bodies[:100], [], [])  # warm-up
            rss_before = _rss_mb(server.pid)
            latencies: list[list[float]] = [[] for _ in range(clients)]
            errors: list[str] = []
            threads = [threading.Thread(target=_client, args=(port, bodies, latencies[i], errors))
                       for i in range(clients)]
            t0 = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - t0
            rss_after = _rss_mb(server.pid)
            peak = [rss_after]
            done = threading.Event()

            def watch() -> None:  # the server's peak RSS while the oversized body is sent and answered
                while not done.wait(0.02):
                    with contextlib.suppress(psutil.Error):
                        peak.append(_rss_mb(server.pid))

            watcher = threading.Thread(target=watch)
            watcher.start()
            oversized = _oversized(port, 50)
            time.sleep(0.5)
            done.set()
            watcher.join()
            ms = np.concatenate([np.asarray(x) for x in latencies]) * 1e3
            return {"req_s": len(ms) / elapsed, "p50_ms": float(np.percentile(ms, 50)),
                    "p99_ms": float(np.percentile(ms, 99)), "errors": len(errors), "rss_before_mb": rss_before,
                    "rss_after_mb": rss_after, "oversized": oversized, "rss_peak_oversized_mb": max(peak)}
        finally:
            kill_tree(server.pid)


IN_PROCESS = """
import asyncio, json, sys, time
from pathlib import Path
from mlbench.deploy.loaders import Artifact
from mlbench.deploy.serve import create_app

path = Path(sys.argv[1])
app = create_app(path, False)
body = json.dumps({"rows": [[0.5] * len(Artifact.read_meta(path).features)]}).encode()
scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
         "path": "/predict", "raw_path": b"/predict", "query_string": b"", "root_path": "",
         "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
         "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000)}

async def one():
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    async def receive():
        return messages.pop() if messages else {"type": "http.disconnect"}
    status = []
    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])
    await app(dict(scope), receive, send)
    assert status == [200], status

async def main(n):
    for _ in range(300):
        await one()
    t = time.process_time()
    for _ in range(n):
        await one()
    return (time.process_time() - t) / n

print(asyncio.run(main(3000)) * 1e6)
"""


def cpu_per_request_us(pythonpath: Path, model: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    done = subprocess.run([sys.executable, "-c", IN_PROCESS, model.name], cwd=model.parent, env=env,
                          capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def _show(name: str, r: dict[str, Any]) -> None:
    print(f"  {name:>14}: {r['req_s']:7.0f} req/s, p50 {r['p50_ms']:5.1f} ms, p99 {r['p99_ms']:5.1f} ms, "
          f"errors {r['errors']}, server RSS {r['rss_before_mb']:.0f} -> {r['rss_after_mb']:.0f} MB; "
          f"a 50 MB body: {r['oversized']}, peak RSS {r['rss_peak_oversized_mb']:.0f} MB; "
          f"in process {r['cpu_us']:.0f} us CPU per request", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default=DEFAULT_BASE, help="revision to compare with; '' for this checkout only")
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=500, help="per client")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "artifact").mkdir()
        model, X = _artifact(work / "artifact")
        variants = [("this checkout", ROOT)]
        if args.base:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base, "mlbench", "scenarios"],
                                     capture_output=True, check=True).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(work / "base", filter="data")
            variants.append((f"base {args.base}", work / "base"))
        print(f"{args.clients} clients x {args.requests} requests, single-row POST /predict, ONNX logistic")
        results: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in variants}
        for i in range(args.pairs):
            print(f"pair {i + 1}:")
            for name, path in variants:
                results[name].append(serve_once(path, model, X, args.clients, args.requests))
                results[name][-1]["cpu_us"] = cpu_per_request_us(path, model)
                _show(name, results[name][-1])
    if args.base:
        a, b = (results[name] for name, _ in variants)
        throughput = statistics.median(x["req_s"] / y["req_s"] for x, y in zip(a, b, strict=True))
        p99 = statistics.median(x["p99_ms"] / y["p99_ms"] for x, y in zip(a, b, strict=True))
        cpu = statistics.median(x["cpu_us"] / y["cpu_us"] for x, y in zip(a, b, strict=True))
        growth = statistics.median(x["rss_after_mb"] - x["rss_before_mb"] for x in a)
        print(f"median ratio this checkout / base: throughput {throughput:.3f}, p99 {p99:.3f} "
              f"(goal: throughput >= 0.90, p99 <= 1.10), in-process CPU per request {cpu:.3f}; "
              f"this checkout's RSS growth under load {growth:+.1f} MB")


if __name__ == "__main__":
    main()
