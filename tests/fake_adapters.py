"""Misbehaving adapters for the isolation tests: they hang, crash, chatter and start child "JVMs".

Registered for a run through $MLBENCH_ADAPTERS (the worker subprocess reads the same variable).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlbench.adapter import Capability, OLSFit, SessionOptions
from mlbench.platforms.statsmodels import StatsmodelsAdapter

ENV = ",".join([
    "hang=tests.fake_adapters:HangingAdapter",
    "crash=tests.fake_adapters:CrashingAdapter",
    "chatty=tests.fake_adapters:ChattyAdapter",
    "fakejvm=tests.fake_adapters:FakeJvmAdapter",
    "slow=tests.fake_adapters:SlowAdapter",
])


class _Base(StatsmodelsAdapter):
    capabilities = {"pvalues": Capability.native("statsmodels, misbehaving on purpose")}


class HangingAdapter(_Base):
    name = "hang"

    def ols(self, features: list[str]) -> OLSFit:
        time.sleep(3600)
        raise AssertionError("unreachable")


class CrashingAdapter(_Base):
    name = "crash"

    def ols(self, features: list[str]) -> OLSFit:
        os.kill(os.getpid(), signal.SIGKILL)  # like the kernel's OOM killer or a JVM taking the process down
        raise AssertionError("unreachable")


class ChattyAdapter(_Base):
    name = "chatty"

    def start_session(self, options: SessionOptions) -> None:
        super().start_session(options)
        print("platform banner on stdout", flush=True)
        os.write(1, b"native code writing to fd 1\n")

    def ols(self, features: list[str]) -> OLSFit:
        print("progress: 100%", flush=True)
        return super().ols(features)


class FakeJvmAdapter(_Base):
    """Starts a long-lived child process, as H2O and Spark start JVMs, writes its pid, then hangs in ols."""

    name = "fakejvm"

    def start_session(self, options: SessionOptions) -> None:
        super().start_session(options)
        self.child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        Path(os.environ["FAKE_JVM_PID_FILE"]).write_text(str(self.child.pid))

    def ols(self, features: list[str]) -> OLSFit:
        time.sleep(3600)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if getattr(self, "child", None) is not None:
            self.child.kill()
            self.child.wait()


class SlowAdapter(_Base):
    """Sleeps $SLOW_OLS_S seconds in every OLS fit (to interrupt it mid-run), with a child "JVM" like fakejvm."""

    name = "slow"

    def start_session(self, options: SessionOptions) -> None:
        super().start_session(options)
        self.child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        if "FAKE_JVM_PID_FILE" in os.environ:
            Path(os.environ["FAKE_JVM_PID_FILE"]).write_text(str(self.child.pid))

    def ols(self, features: list[str]) -> OLSFit:
        time.sleep(float(os.environ.get("SLOW_OLS_S", "0")))
        return super().ols(features)

    def close(self) -> None:
        self.child.kill()
        self.child.wait()
