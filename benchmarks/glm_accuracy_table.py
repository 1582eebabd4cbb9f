"""The GLM accuracy table from a fresh run: the `accuracy` scenario on the GLM suite only (mlbench/data/glm, 8
generated binomial/Poisson cases), every GLM-capable platform, each graded against the MLE certified in arbitrary
precision; prints the table (estimate and SE digits, the platform's convergence flag) as the terminal report
draws it at 80 columns, then each platform's worst quantity per case. README quotes its output.

Usage: python benchmarks/glm_accuracy_table.py [--adapters statsmodels,sklearn,h2o,spark,r,tensorflow]
       [--out DIR] [--width 80]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ADAPTERS = "statsmodels,sklearn,h2o,spark,r,tensorflow"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adapters", default=ADAPTERS)
    parser.add_argument("--out", type=Path, default=None, help="keep the run here (default: a temporary folder)")
    parser.add_argument("--width", type=int, default=80)
    args = parser.parse_args()

    from mlbench import api, sanitize
    from mlbench.reports import summary
    from mlbench.reports.details.glm_accuracy import glm_accuracy_table
    from mlbench.reports.layout import print_tables
    from mlbench.reports.table import RunView
    from mlbench.results import load_run, reference_answers

    with tempfile.TemporaryDirectory() as tmp:
        spec = yaml.safe_load((ROOT / "scenarios" / "accuracy.yaml").read_text())
        spec.update(name="glm-accuracy", datasets=["glm"],  # the GLM suite alone: NIST's table is accuracy_table.py
                    description="the GLM accuracy suite on every GLM-capable platform, in correct digits")
        scenario = Path(tmp) / "glm-accuracy.yaml"
        scenario.write_text(yaml.safe_dump(spec))
        out = args.out or Path(tmp) / "runs"
        outcome = api.run(api.RunRequest(scenario=str(scenario), adapters=args.adapters.split(","), out=out))
        manifest, records = load_run(outcome.run_dir)
        console = sanitize.console(width=args.width)
        print_tables(console, glm_accuracy_table(RunView(manifest, records, reference_answers(manifest))))
        for row in summary.glm_accuracy(records, manifest)["rows"]:
            for adapter, cell in row["cells"].items():
                worst = cell.get("worst") or {}
                print(f"{row['label']} · {adapter}: {cell['status']}, min {cell['digits']} "
                      f"({worst.get('quantity')} of {worst.get('term')}), converged {cell['converged']}, "
                      f"{cell['iterations']} iterations" + (f" · {cell['note']}" if cell["note"] else ""))
        print(f"run: {outcome.run_dir}" if args.out else "")


if __name__ == "__main__":
    main()
