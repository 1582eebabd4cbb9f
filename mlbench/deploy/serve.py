"""`mlbench serve ARTIFACT`: a FastAPI scoring server for an exported artifact, on 127.0.0.1 only.

POST /predict {"rows": [[x1, x2, ...], ...]} (feature order as exported, listed by GET /health) returns
{"predictions": [...]}, one number per row: P(y = 1) for classifiers, values for regressors. A body that is not
that (not JSON, no "rows", a value that is not a number, a row with the wrong count of values) is answered 422
with {"detail": ...} saying what is wrong. GET /health returns {"status": "ok", "kind", "task", "features"}.
Code-executing formats (pickle, joblib) are refused unless the caller passes --trust.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mlbench.errors import MlbenchError

LOOPBACK = "127.0.0.1"


class Rows(BaseModel):
    """The /predict body; at module level so FastAPI can resolve the annotation."""

    rows: list[list[float]]


def create_app(artifact_path: Path, trusted: bool) -> Any:
    import numpy as np
    from fastapi import FastAPI, HTTPException

    from mlbench.deploy.loaders import Artifact, load

    art = Artifact.read_meta(artifact_path)
    predict = load(art, trusted=trusted)

    app = FastAPI(title="mlbench serve", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "kind": art.kind, "task": art.task, "features": art.features}

    @app.post("/predict")
    def predict_rows(body: Rows) -> dict[str, Any]:
        if not body.rows or any(len(row) != len(art.features) for row in body.rows):  # ragged rows too
            raise HTTPException(422, f"each row needs {len(art.features)} values: {', '.join(art.features)}")
        X = np.asarray(body.rows, dtype=float)
        return {"predictions": np.asarray(predict(X), dtype=float).tolist()}

    return app


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def serve(artifact_path: Path, port: int, trusted: bool) -> None:
    from mlbench.deploy.loaders import Artifact

    Artifact.read_meta(artifact_path)  # a missing file or description: one line, before anything else
    if not port_free(port):
        raise MlbenchError(f"port {port} on {LOOPBACK} is in use; choose another with --port")
    app = create_app(artifact_path, trusted)
    import sys

    import uvicorn

    print(f"serving {artifact_path} on http://{LOOPBACK}:{port} (POST /predict, GET /health)", file=sys.stderr)
    uvicorn.run(app, host=LOOPBACK, port=port, log_level="warning")
