"""What the boosting libraries' adapters (xgboost, LightGBM, CatBoost) do alike: one home for it.

All three take float64 arrays read with pandas (none has a Parquet reader; the load phase times the read), score
the test set with the scikit-learn-style `predict_proba`/`predict` of the model they trained, and export files
written by their own writers or converted by onnxmltools, a converter's failure being recorded as a finding. What
differs stays in each adapter: the capabilities, how a TrainSpec becomes the library's estimator, and which
formats it writes (`_write_formats`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from mlbench.adapter import Adapter, Capability, DataSource
from mlbench.deploy import failures
from mlbench.platforms import frames


def no_statistics(no_stats: str, no_glm: str) -> dict[str, Capability]:
    """The statistics and GLM rows of a boosting library's capabilities: all unsupported, for the reasons given in
    the library's own words (a boosted model has no OLS inference, VIF, subset search or maximum-likelihood GLM)."""
    return {
        "pvalues": Capability.unsupported(no_stats),
        "vif": Capability.unsupported(no_stats),
        "subset": Capability.unsupported(no_stats),
        "glm:binomial": Capability.unsupported(no_glm),
        "glm:poisson": Capability.unsupported(no_glm),
    }


@dataclass
class Exports:
    """The files one export wrote and the formats it could not write (with why), as `Adapter.export` returns
    them."""

    directory: Path
    task: str
    features: list[str]
    artifacts: list[Any] = field(default_factory=list)  # deploy.loaders.Artifact, imported when exporting
    unavailable: dict[str, str] = field(default_factory=dict)
    tracebacks: dict[str, str] = field(default_factory=dict)

    def written(self, kind: str, path: Path) -> None:
        from mlbench.deploy.loaders import Artifact

        self.artifacts.append(Artifact(kind, str(path), self.task, self.features))

    def failed(self, kind: str, converter: str, exc: BaseException, model: Any) -> None:
        failures.record(self.unavailable, self.tracebacks, kind, converter, exc, model)

    def onnx_by_onnxmltools(self, model: Any, converter: str, **options: Any) -> None:
        """ONNX by onnxmltools' `converter` (convert_xgboost, convert_lightgbm) at opset 15 with float inputs."""
        try:
            import onnxmltools
            from onnxmltools.convert.common.data_types import FloatTensorType

            convert = getattr(onnxmltools, converter)
            onnx_model = convert(model, initial_types=[("input", FloatTensorType([None, len(self.features)]))],
                                 target_opset=15, **options)
            path = self.directory / "model.onnx"
            path.write_bytes(onnx_model.SerializeToString())
            self.written("onnx", path)
        except Exception as exc:  # noqa: BLE001 - a converter gap is a finding, not a crash
            self.failed("onnx", "onnxmltools", exc, model)

    def result(self) -> dict[str, Any]:
        """Each artifact's meta file written; the dict `Adapter.export` returns."""
        for art in self.artifacts:
            art.write_meta()
        return {"artifacts": self.artifacts, "unavailable": self.unavailable, "tracebacks": self.tracebacks}


class BoostedTreesAdapter(Adapter):
    """An adapter for a boosting library with a scikit-learn-style estimator API."""

    features: list[str]
    X_test: Any
    takes_csr: ClassVar[bool] = False  # a sparse-shape run hands the library scipy CSR (xgboost, LightGBM)

    def _label_dtype(self, task: str | None) -> type:
        """The dtype the library is handed the target in (float; CatBoost wants 0/1 classes as int)."""
        return float

    def load(self, source: DataSource) -> None:
        self.features, self.target = source.features, source.target
        if self.takes_csr and source.sparse_path is not None:  # CSR as it is: never the dense copy
            self.X, y, self.X_test = frames.read_sparse(source)
            self.y = y.astype(self._label_dtype(source.task))
            return
        train, test = frames.read(source)
        self.X = train[self.features].to_numpy(dtype=float)
        self.y = train[self.target].to_numpy(dtype=self._label_dtype(source.task))
        self.X_test = None if test is None else test[self.features].to_numpy(dtype=float)
        del train, test  # only the arrays are the platform's data: the frames' memory goes back (frames.release)
        frames.release()

    def predict(self, model: Any) -> Any:
        assert self.X_test is not None, "no test set loaded"
        return model.predict_proba(self.X_test)[:, 1] if hasattr(model, "predict_proba") else model.predict(
            self.X_test)

    def export(self, model: Any, directory: Path) -> dict[str, Any]:
        task = "classification" if hasattr(model, "predict_proba") else "regression"
        exports = Exports(directory, task, list(self.features))
        self._write_formats(model, exports)
        return exports.result()

    def _write_formats(self, model: Any, exports: Exports) -> None:
        """Write the library's formats into `exports.directory`, recording each in `exports`."""
        raise NotImplementedError
