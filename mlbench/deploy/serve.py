"""`mlbench serve ARTIFACT`: a FastAPI scoring server for an exported artifact, on 127.0.0.1 only.

POST /predict {"rows": [[x1, x2, ...], ...]} (feature order as exported, listed by GET /health) returns
{"predictions": [...]}, one number per row: P(y = 1) for classifiers, values for regressors. A body that is not
that (not JSON, no "rows", a value that is not a finite JSON number -- a string, a boolean, NaN, Infinity, 1e400 --,
a row with the wrong count of values) is answered 422 with {"detail": ...} saying what is wrong; a body over
`max_body` bytes is answered 413 before it is read. GET /health returns {"status": "ok", "kind", "task",
"features"}. Code-executing formats (pickle, joblib) are refused unless the caller passes --trust.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated, Any

from pydantic import AllowInfNan, BaseModel, Strict

from mlbench.errors import MlbenchError

LOOPBACK = "127.0.0.1"
MAX_BODY = 4 << 20  # bytes of a /predict body: ~90,000 values; a bigger batch is split by the client

# a JSON number and nothing else: no "1.5", no true (strict), no NaN/Infinity/1e400 (json reads 1e400 as inf)
Number = Annotated[float, Strict(), AllowInfNan(False)]


class Rows(BaseModel):
    """The /predict body; at module level so FastAPI can resolve the annotation."""

    rows: list[list[Number]]


class BodyLimit:
    """ASGI middleware: a request body over `max_body` bytes is answered 413 without being read into memory,
    whether it declares its Content-Length or streams chunks."""

    def __init__(self, app: Any, max_body: int) -> None:
        from fastapi import HTTPException

        self.app = app
        self.max_body = max_body
        self.detail = f"the request body is over the limit of {max_body} bytes (--max-body)"
        self.too_large = HTTPException  # raised from the body read, FastAPI re-raises it: answered 413

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_body:
                    await _send_json(send, 413, self.detail)
                    return
                break
        received = 0

        async def limited() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise self.too_large(413, self.detail)
            return message

        await self.app(scope, limited, send)


async def _send_json(send: Any, status: int, detail: str) -> None:
    import json

    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def create_app(artifact_path: Path, trusted: bool, max_body: int = MAX_BODY) -> Any:
    import numpy as np
    from fastapi import FastAPI, HTTPException
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    from mlbench.deploy.loaders import Artifact, load

    art = Artifact.read_meta(artifact_path)
    predict = load(art, trusted=trusted)

    app = FastAPI(title="mlbench serve", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(BodyLimit, max_body=max_body)

    @app.exception_handler(RequestValidationError)
    def invalid_body(request: Any, exc: RequestValidationError) -> JSONResponse:
        # where and what, without echoing the input back (it may be NaN, which JSON cannot carry, or megabytes)
        detail = [{"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type", "")}
                  for error in exc.errors()[:20]]
        return JSONResponse({"detail": detail}, status_code=422)

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


def serve(artifact_path: Path, port: int, trusted: bool, max_body: int = MAX_BODY) -> None:
    from mlbench.deploy.loaders import Artifact

    Artifact.read_meta(artifact_path)  # a missing file or description: one line, before anything else
    if max_body < 1:
        raise MlbenchError(f"--max-body must be at least 1 byte, not {max_body}")
    if not port_free(port):
        raise MlbenchError(f"port {port} on {LOOPBACK} is in use; choose another with --port")
    app = create_app(artifact_path, trusted, max_body)
    import sys

    import uvicorn

    print(f"serving {artifact_path} on http://{LOOPBACK}:{port} (POST /predict, GET /health)", file=sys.stderr)
    uvicorn.run(app, host=LOOPBACK, port=port, log_level="warning")
