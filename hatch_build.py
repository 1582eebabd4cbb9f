"""Hatch build hook: compile the best-subset search's C kernel (mlbench/stats/subsets_kernel.c) when mlbench is
built or installed, editable installs included, so a fresh install's first search never waits for a compiler.

Without a C compiler the install still succeeds (the kernel is then built into the private cache on first use
when a compiler appears, and until then the numpy engine answers); the reason is printed.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class KernelBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        stats = Path(self.root) / "mlbench" / "stats"
        spec = importlib.util.spec_from_file_location("_mlbench_kernel_build", stats / "kernel_build.py")
        assert spec is not None and spec.loader is not None
        kernel_build = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(kernel_build)  # standard library only: mlbench's dependencies may not be here yet
        library, why = kernel_build.build(stats, replace_older=True)
        if library is None:
            print(f"mlbench: {why}; best subset will use the numpy engine until it can be built", file=sys.stderr)
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        build_data["artifacts"].append(str(library.relative_to(self.root)))
