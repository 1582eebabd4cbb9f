"""mlbench's overhead: `mlbench run train --adapters sklearn` against a minimal hand-written script doing the
same fits (same data, same models and hyperparameters, predictions scored on the same test set).

Prints the wall-time ratio (goal <= 1.15) and how much more memory mlbench's process tree peaked at than the
script's (goal < 150 MB). Usage: python benchmarks/overhead.py [--sizes 10k,100k] [--runs 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _util import run_measured

HANDWRITTEN = '''
import sys
import numpy as np
from sklearn import ensemble, linear_model, metrics
from mlbench.datasets import synthetic_task   # the same seeded data mlbench generates

sizes = [int(s) for s in sys.argv[1].split(",")]
for task in ("classification", "regression"):
    test = synthetic_task(task, 10_000, 10, 43).frame
    X_test, y_test = test.drop(columns="y").to_numpy(), test["y"].to_numpy()
    for n in sizes:
        train = synthetic_task(task, n, 10, 42).frame
        X, y = train.drop(columns="y").to_numpy(), train["y"].to_numpy()
        if task == "classification":
            models = [linear_model.LogisticRegression(C=np.inf, max_iter=2000),
                      ensemble.RandomForestClassifier(n_estimators=100, max_depth=6, n_jobs=2, random_state=42),
                      ensemble.HistGradientBoostingClassifier(max_iter=100, max_depth=6, learning_rate=0.1,
                                                              early_stopping=False, random_state=42)]
            for m in models:
                print(task, n, type(m).__name__, metrics.roc_auc_score(y_test, m.fit(X, y).predict_proba(X_test)[:, 1]))
        else:
            models = [linear_model.LinearRegression(),
                      ensemble.RandomForestRegressor(n_estimators=100, max_depth=6, n_jobs=2, random_state=42),
                      ensemble.HistGradientBoostingRegressor(max_iter=100, max_depth=6, learning_rate=0.1,
                                                             early_stopping=False, random_state=42)]
            for m in models:
                rmse = np.sqrt(metrics.mean_squared_error(y_test, m.fit(X, y).predict(X_test)))
                print(task, n, type(m).__name__, rmse)
'''


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10k,100k")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    from mlbench.datasets import parse_size

    sizes = ",".join(str(parse_size(s)) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "handwritten.py"
        script.write_text(HANDWRITTEN)
        tool, hand = [], []
        for i in range(args.runs):
            cmd = [sys.executable, "-m", "mlbench", "run", "train", "--adapters", "sklearn", "--sizes", args.sizes,
                   "--out", str(Path(tmp) / f"runs{i}")]
            wall, peak, proc = run_measured(cmd)
            assert proc.returncode == 0, proc.stderr[-2000:]
            tool.append((wall, peak))
            wall, peak, proc = run_measured([sys.executable, str(script), sizes])
            assert proc.returncode == 0, proc.stderr[-2000:]
            hand.append((wall, peak))
    tool_s, hand_s = statistics.median(t for t, _ in tool), statistics.median(t for t, _ in hand)
    tool_mb, hand_mb = max(m for _, m in tool), max(m for _, m in hand)
    print(f"mlbench run train --adapters sklearn --sizes {args.sizes}: {tool_s:.2f} s, peak {tool_mb:.0f} MB")
    print(f"hand-written script, same fits:                      {hand_s:.2f} s, peak {hand_mb:.0f} MB")
    print(f"wall-time ratio: {tool_s / hand_s:.3f} (goal <= 1.15)")
    print(f"memory above the platform alone: {tool_mb - hand_mb:.0f} MB (goal < 150 MB)")


if __name__ == "__main__":
    main()
