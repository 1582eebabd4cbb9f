"""What the GLM truth of a feature-selection scenario costs with each choice of fits for its searches.

The truth answers every cell of `glm-selection` (Default, binomial) or `poisson-selection` (Bikeshare, Poisson):
pvalues (summary and drop1 elimination), vif (car::vif) and subset best/forward/backward, through the procedures a
run drives, on a fresh `GLMReference` each time. Two choices (`glm_reference.SEARCH_FITS`):

- refined: every reported model certified (`glm_exact.certify`), the searches' ordering by the extended-precision
  fit (float64 IRLS + Newton in numpy longdouble), which is what a run uses;
- certified: every model a search visits certified too.

Alternated A B A B in one process after one warm-up of each (imports, flint); prints each pair, the medians and
how many models each certified. Usage: python benchmarks/glm_truth_choice.py [--scenario poisson-selection]
[--pairs 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import alternated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="glm-selection")
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()

    from mlbench import scenario, steps
    from mlbench.datasets import load_builtin
    from mlbench.design import build_design
    from mlbench.stats import glm_reference
    from mlbench.stats.procedures import StepContext

    spec = scenario.load(args.scenario)
    dataset = load_builtin(spec.dataset)
    design = build_design(dataset.frame, dataset.target, family=spec.family or dataset.family)
    cells = [(steps.with_family(s, design.family), v) for s in spec.steps
             for v in steps.kind(s.step).variants(s)]
    counts: dict[str, int] = {}

    def answer(choice: str) -> float:
        glm_reference.SEARCH_FITS = choice
        reference = glm_reference.GLMReference(design.X, design.y, design.features, design.family)
        ctx = StepContext(features=design.features, X=design.X, y=design.y, support="reference", terms=design.terms)
        t0 = time.perf_counter()
        for step_spec, variant in cells:
            steps.compute(step_spec, variant, reference, ctx)
        counts[choice] = reference.certificates
        return time.perf_counter() - t0

    answer("refined"), answer("certified")  # warm-up
    refined, certified, ratio = alternated(args.pairs, lambda _: answer("refined"), lambda _: answer("certified"),
                                           f"{args.scenario} truth", ("refined", "certified"))
    print(f"{args.scenario} ({dataset.name}, {len(design.y)} rows, {len(design.features)} columns, {len(cells)} "
          f"cells): refined {refined:.2f} s ({counts['refined']} models certified), certified {certified:.2f} s "
          f"({counts['certified']} models certified), ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
