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
from typing import Any

from mlbench.adapter import Capability, GLMCoefficients, GLMFit, OLSFit, SessionOptions
from mlbench.platforms.h2o import H2OAdapter
from mlbench.platforms.spark import SparkAdapter
from mlbench.platforms.statsmodels import StatsmodelsAdapter

ENV = ",".join([
    "hang=tests.fake_adapters:HangingAdapter",
    "crash=tests.fake_adapters:CrashingAdapter",
    "chatty=tests.fake_adapters:ChattyAdapter",
    "fakejvm=tests.fake_adapters:FakeJvmAdapter",
    "slow=tests.fake_adapters:SlowAdapter",
    "mortal=tests.fake_adapters:MortalAdapter",
    "refusing=tests.fake_adapters:RefusingAdapter",
    "garbled=tests.fake_adapters:GarbledAdapter",
    "dies-starting=tests.fake_adapters:DiesWhileStartingAdapter",
])
# The real H2O and Spark under their own names, with a first fit that waits (the JVM-death tests only)
MORTAL_JVMS = "h2o-mortal=tests.fake_adapters:MortalH2O,spark-mortal=tests.fake_adapters:MortalSpark"


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


class RefusingAdapter(_Base):
    """The platform's solver refuses the design, as Spark's normal solver refuses NIST Filip."""

    name = "refusing"

    def ols(self, features: list[str]) -> OLSFit:
        import numpy as np

        raise np.linalg.LinAlgError("Singular matrix")


class GarbledAdapter(_Base):
    """Answers OLS with something that is not an OLSFit: mlbench's own arithmetic then fails on it."""

    name = "garbled"

    def ols(self, features: list[str]) -> OLSFit:
        return None  # type: ignore[return-value]


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


class MortalAdapter(_Base):
    """A platform with a child "JVM" that can be killed: `liveness` watches the child, and the first OLS fit of
    the run waits (like a client waiting on its JVM) until $MORTAL_DIR/first-fit exists, so a test can kill
    the child, or the worker, during a cell. Later fits answer at once."""

    name = "mortal"

    def start_session(self, options: SessionOptions) -> None:
        super().start_session(options)
        self.child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        directory = Path(os.environ["MORTAL_DIR"])
        sessions = len(list(directory.glob("session-*")))
        (directory / f"session-{sessions + 1}").write_text(f"{os.getpid()} {self.child.pid}")

    def liveness(self) -> str | None:
        code = self.child.poll()
        return None if code is None else f"fake JVM (pid {self.child.pid}) ended with {code}"

    def ols(self, features: list[str]) -> OLSFit:
        marker = Path(os.environ["MORTAL_DIR"]) / "first-fit"
        if not marker.exists():
            marker.write_text(f"{os.getpid()} {self.child.pid}")
            time.sleep(120)  # a client waiting on a platform that will not answer any more
        return super().ols(features)

    def close(self) -> None:
        self.child.kill()
        self.child.wait()


class _FirstFitWaits:
    """The real platform, whose first OLS fit of the run writes "worker-pid jvm-pid" to $MORTAL_DIR/first-fit
    and waits, so a test can kill -9 the real JVM during a cell; every later fit (the retry too) is the
    platform's own, at once. Registered as h2o-mortal and spark-mortal for the JVM-death tests only."""

    def jvm_pid(self) -> int:
        raise NotImplementedError

    def ols(self, features: list[str]) -> OLSFit:
        marker = Path(os.environ["MORTAL_DIR"]) / "first-fit"
        if not marker.exists():
            marker.write_text(f"{os.getpid()} {self.jvm_pid()}")
            time.sleep(150)  # a client waiting on a JVM that died would wait for its retries
        return super().ols(features)  # type: ignore[misc]


class MortalH2O(_FirstFitWaits, H2OAdapter):
    name = "h2o-mortal"

    def jvm_pid(self) -> int:
        jvm = self._cluster.jvm if self._cluster is not None else None
        return int(jvm.pid) if jvm is not None else 0  # 0: a cluster joined by URL (the test knows its JVM)


class MortalSpark(_FirstFitWaits, SparkAdapter):
    name = "spark-mortal"

    def jvm_pid(self) -> int:
        return int(self._jvm_proc.pid)


def kill_mid_cell(directory: Path, adapter: str, victim: str | int = "platform", *extra: str) -> dict[str, Any]:
    """Run `mlbench run pvalues --repeats 2` on a mortal adapter; when its first fit waits, kill -9 the platform
    (its child "JVM", or the real JVM), the worker, or the process `victim` names (a cluster's JVM). Returns
    the exit code, stderr, records, the seconds from the kill to the failed fit's record, and the two pids."""
    import datetime as dt
    import json

    mortal = directory / "mortal"
    mortal.mkdir()
    env = {**os.environ, "MLBENCH_ADAPTERS": f"{ENV},{MORTAL_JVMS}", "MORTAL_DIR": str(mortal)}
    runner = subprocess.Popen([sys.executable, "-m", "mlbench", "run", "pvalues", "--adapters", adapter,
                               "--repeats", "2", "--json", "--out", str(directory / "runs"), *extra],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    marker = mortal / "first-fit"
    deadline = time.monotonic() + 240
    while not marker.exists() and runner.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    if not marker.exists():
        raise AssertionError(f"{adapter} never reached its first fit: {runner.communicate(timeout=60)[1][-2000:]}")
    time.sleep(0.2)  # the pids are written
    worker_pid, platform_pid = map(int, marker.read_text().split())
    killed_at = time.time()
    os.kill(victim if isinstance(victim, int) else platform_pid if victim == "platform" else worker_pid,
            signal.SIGKILL)
    _, stderr = runner.communicate(timeout=600)
    (run_dir,) = (directory / "runs").iterdir()
    records = [json.loads(line) for line in (run_dir / "records.jsonl").read_text().splitlines()]
    failed = next(r for r in records if r["phase"] == "fit" and r["status"] == "error")
    noticed = dt.datetime.strptime(failed["utc"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC).timestamp()
    return {"code": runner.returncode, "stderr": stderr, "records": records, "failed": failed,
            "seconds": noticed - killed_at, "worker_pid": worker_pid, "platform_pid": platform_pid,
            "run_dir": run_dir}


class DiesWhileStartingAdapter(_Base):
    """A platform whose first session's "JVM" is killed with -9 while the session starts (as the H2O JVM killed
    before h2o.init returned): it says so in procs' words, as a PlatformDied. Later sessions start normally.
    $MORTAL_DIR/start-died marks that the death has happened."""

    name = "dies-starting"

    def start_session(self, options: SessionOptions) -> None:
        from mlbench import procs
        from mlbench.errors import PlatformDied

        marker = Path(os.environ["MORTAL_DIR"]) / "start-died"
        super().start_session(options)
        self.child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        if not marker.exists():
            marker.write_text(str(self.child.pid))
            os.kill(self.child.pid, signal.SIGKILL)
            self.child.wait()
            raise PlatformDied(f"fake JVM (pid {self.child.pid}) {procs.ended(self.child)} while its session started")

    def close(self) -> None:
        self.child.kill()
        self.child.wait()


class GLMStatsmodelsAdapter(_Base):
    """A test-only GLM adapter on statsmodels' `GLM(...).fit()` (IRLS, its own defaults), native for both GLM
    families: what the GLM wiring runs end to end before the real adapters declare `glm:*`."""

    name = "sm-glm"
    capabilities = {
        **StatsmodelsAdapter.capabilities,
        "glm:binomial": Capability.native("GLM(y, add_constant(X), Binomial()).fit()"),
        "glm:poisson": Capability.native("GLM(y, add_constant(X), Poisson()).fit()"),
    }

    def _glm(self, features: list[str], family: str) -> Any:
        import statsmodels.api as sm

        X = sm.add_constant(self.frame[features].to_numpy(dtype=float), has_constant="add")
        fam = sm.families.Binomial() if family == "binomial" else sm.families.Poisson()
        return sm.GLM(self.frame[self.target].to_numpy(dtype=float), X, family=fam).fit()

    def glm(self, features: list[str], family: str) -> GLMFit:
        fit = self._glm(features, family)
        return GLMFit(
            family=family, terms=["Intercept", *features], estimate=list(map(float, fit.params)),
            std_error=list(map(float, fit.bse)), z_value=list(map(float, fit.tvalues)),
            p_value=list(map(float, fit.pvalues)), deviance=float(fit.deviance),
            null_deviance=float(fit.null_deviance), aic=float(fit.aic), df_resid=int(fit.df_resid),
            n_obs=int(fit.nobs), iterations=int(fit.fit_history["iteration"]), converged=bool(fit.converged),
            covariance=fit.cov_params().tolist(),
        )


class GLMEstimatesAdapter(GLMStatsmodelsAdapter):
    """A test-only GLM adapter that reports estimates only (as scikit-learn's would): mlbench emulates SEs."""

    name = "sm-glm-estimates"
    capabilities = {
        **StatsmodelsAdapter.capabilities,
        "glm:binomial": Capability.emulated("GLM(...).fit().params; SEs from X'WX (mlbench)"),
        "glm:poisson": Capability.emulated("GLM(...).fit().params; SEs from X'WX (mlbench)"),
    }

    def glm(self, features: list[str], family: str) -> GLMFit:
        from mlbench.errors import UnsupportedStep

        raise UnsupportedStep(f"{self.name} reports no GLM inference")

    def glm_coefficients(self, features: list[str], family: str) -> GLMCoefficients:
        fit = self._glm(features, family)
        return GLMCoefficients(float(fit.params[0]), list(map(float, fit.params[1:])),
                               iterations=int(fit.fit_history["iteration"]), converged=bool(fit.converged))


GLM_ENV = "sm-glm=tests.fake_adapters:GLMStatsmodelsAdapter,sm-glm-estimates=tests.fake_adapters:GLMEstimatesAdapter"
