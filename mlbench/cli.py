"""The `mlbench` command: parse options, call mlbench.api, render. No logic here.

Imports are kept to typer at module level so `mlbench --help` starts fast; the api, pandas and rich tables
are imported inside the commands. Usage and input errors print one line on stderr and exit 2.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from mlbench.errors import MlbenchError, RunInterrupted

app = typer.Typer(
    help="Measure which ML platform does the job: right answers, time, memory, deployability.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: typer's rich help formatter alone costs ~0.1 s of start-up
)


class ListWhat(str, Enum):
    adapters = "adapters"
    scenarios = "scenarios"
    datasets = "datasets"


class ReportFormat(str, Enum):
    table = "table"
    csv = "csv"
    wide_csv = "wide-csv"
    digits_csv = "digits-csv"
    html = "html"
    json = "json"


class ByChoice(str, Enum):
    term = "term"
    column = "column"


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


PIPED_WIDTH = 160  # piped output (a file, CI logs) without $COLUMNS: a wide fixed width instead of rich's 80
WIDE_WIDTH = 1000  # --wide: every table in full, as wide as it needs
MIN_WIDTH = 40  # the narrowest --width (and $COLUMNS) the tables are drawn at


def piped_width() -> int:
    """Columns of output that is not a terminal: $COLUMNS when it is a whole number (at least MIN_WIDTH), else
    PIPED_WIDTH."""
    import os

    text = os.environ.get("COLUMNS", "").strip()
    return max(int(text), MIN_WIDTH) if text.isdigit() and int(text) > 0 else PIPED_WIDTH


def _console(stderr: bool = False, width: int | None = None, wide: bool = False) -> Any:
    """A rich Console for stdout (or stderr): `width` columns if given, every table in full with `wide`, else
    the terminal's width, or when the stream is not a terminal $COLUMNS (else PIPED_WIDTH): piped_width()."""
    from mlbench.sanitize import console as Console  # noqa: N812 - rich's Console, printing no control characters

    if wide and width is not None:
        raise MlbenchError("give --wide or --width, not both")
    if wide:
        return Console(stderr=stderr, width=WIDE_WIDTH)
    if width is not None:
        return Console(stderr=stderr, width=width)
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else piped_width())


WideOption = Annotated[bool, typer.Option(
    "--wide", help="Print every table in full (today's full-width tables), however wide the terminal is.")]
WidthOption = Annotated[int | None, typer.Option(
    min=MIN_WIDTH, help="Render the tables to fit N columns (default: the terminal's width; when not a terminal, "
                        "$COLUMNS, else 160).")]
BudgetOption = Annotated[str | None, typer.Option(
    help="Memory of the machine the cost curve compares against, e.g. 24G (default: the machine that ran).")]


def _split(text: str | None) -> list[str] | None:
    return None if text is None else [part.strip() for part in text.split(",") if part.strip()]


def _sizes(text: str | None) -> list[int] | None:
    if text is None:
        return None
    from mlbench.datasets import parse_size

    return [parse_size(part) for part in text.split(",") if part.strip()]


def _cores(text: str | None) -> list[int] | None:
    from mlbench.limits import parse_cores

    return None if text is None else parse_cores(text)


def _shape(text: str | None) -> str | None:
    """--shape checked before anything runs: an unknown shape is a one-line error with the closest known one."""
    if text is None:
        return None
    from mlbench import shapes

    return shapes.check(text.strip()).name


def _weights(items: list[str] | None) -> dict[str, float] | None:
    if not items:
        return None
    weights = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise MlbenchError(f"--weight takes name=number, not {item!r}")
    return weights


def _settings(items: list[str] | None) -> dict[str, dict[str, str]] | None:
    """--set step.param=value (repeatable) -> {step: {param: value}}, each checked in the step table."""
    if not items:
        return None
    from mlbench import steps

    settings: dict[str, dict[str, str]] = {}
    for item in items:
        step, param, value = steps.parse_setting(item)
        settings.setdefault(step, {})[param] = value
    return settings


@app.command("run")
def run_command(
    scenario: Annotated[str | None, typer.Argument(
        help="Scenario name (see `mlbench list scenarios`) or YAML path.")] = None,
    dataset: Annotated[str | None, typer.Option(
        help="Built-in dataset (advertising, hitters, credit, nist-filip, ...: `mlbench list datasets`), or "
             "synthetic-linear:n=..,p=..")] = None,
    data: Annotated[Path | None, typer.Option(help="Your own CSV or Parquet file (needs --target).")] = None,
    target: Annotated[str | None, typer.Option(help="Response column of --data.")] = None,
    adapters: Annotated[str | None, typer.Option(help="Comma-separated adapters (default: the scenario's).")] = None,
    repeats: Annotated[int | None, typer.Option(min=1, help="Measured repeats per cell.")] = None,
    warmup: Annotated[int | None, typer.Option(min=0, help="Unmeasured warm-up runs per cell.")] = None,
    alpha: Annotated[float | None, typer.Option(min=0.0, max=1.0, help="p-value threshold for elimination.")] = None,
    vif_threshold: Annotated[float | None, typer.Option(help="Remove features while max VIF exceeds this.")] = None,
    by: Annotated[ByChoice | None, typer.Option(
        help="Factors in p-value and VIF elimination: whole terms (drop1's F-test, car's GVIF) or single dummies.")
    ] = None,
    family: Annotated[str | None, typer.Option(
        help="Model of the statistics steps: gaussian (OLS), binomial (logistic) or poisson (default: the "
             "scenario's, else from the target: two text levels are binomial).")] = None,
    digits: Annotated[float | None, typer.Option(
        min=0.0, max=15.0, help="Pass line of the truth grade: correct digits each quantity needs (default 6).")
    ] = None,
    no_intercept: Annotated[bool, typer.Option(
        "--no-intercept", help="Statistics steps fit through the origin (R's y ~ 0 + x) on every platform and the "
                               "truth; R², adj. R² and F by R's convention for such a fit.")] = False,
    method: Annotated[str | None, typer.Option(help="Subset methods: best,forward,backward.")] = None,
    max_fits: Annotated[int | None, typer.Option(min=1, help="Fit budget of an emulated subset search.")] = None,
    sizes: Annotated[str | None, typer.Option(help="Train rows per size for training steps, e.g. 10k,100k,1m.")] = None,
    shape: Annotated[str | None, typer.Option(
        help="Shape of the training data: tall (many rows, 10 columns), wide (p >> n: 2,000 columns) or sparse "
             "(95% zeros, CSR where the platform takes it); default: the scenario's, else tall.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for synthetic data and platforms.")] = None,
    cores: Annotated[str | None, typer.Option(
        help="Cores a platform may use (default: all); a comma list (e.g. 1,2) times every training cell at each "
             "count, each in a session started with it, and reports speed-up and parallel efficiency.")] = None,
    memory: Annotated[str, typer.Option(help="JVM heap for local H2O / Spark driver, e.g. 4G.")] = "4G",
    h2o_url: Annotated[str | None, typer.Option(
        envvar="MLBENCH_H2O_URL", help="Use this running H2O cluster instead of starting one.")] = None,
    spark_master: Annotated[str | None, typer.Option(
        envvar="MLBENCH_SPARK_MASTER", help="Spark master URL (default: local[cores]).")] = None,
    isolation: Annotated[str, typer.Option(
        help="process: each adapter in a worker subprocess (crash/timeout safe, per-platform memory); inline.")
    ] = "process",
    timeout: Annotated[float | None, typer.Option(min=0.1, help="Seconds per cell before it is killed.")] = None,
    budget_memory: BudgetOption = None,
    retries: Annotated[int, typer.Option(
        min=0, help="Retry a cell whose platform died while it ran, on a fresh session (0: never).")] = 1,
    weight: Annotated[list[str] | None, typer.Option(
        help="Deployability weight override, name=value (repeatable), e.g. --weight latency=30.")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="STEP.PARAM=VALUE",
        help="Set any parameter of a scenario step (repeatable), e.g. --set subset.max_size=4; the parameters are "
             "the step table's (an unknown one is named with the known ones).")] = None,
    out: Annotated[Path, typer.Option(help="Directory that receives the run directory.")] = Path("results"),
    json_output: Annotated[bool, typer.Option("--json", help="Print the records as one JSON list on stdout.")] = False,
    resume: Annotated[Path | None, typer.Option(help="Finish an interrupted run: only its missing cells.")] = None,
    wide: WideOption = False,
    width: WidthOption = None,
) -> None:
    """Run a scenario on the chosen platforms; store every record under OUT/<run_id>/."""
    from mlbench import api  # the workers' fork server is started before this (`main`, else api.run)

    if (scenario is None) == (resume is None):
        raise MlbenchError("give a SCENARIO to run, or --resume RUN_DIR (not both)")
    err = _console(stderr=True)
    screen = _console(width=width, wide=wide)
    if resume is not None:
        with _progress(err) as report:
            outcome = api.resume(resume, progress=report)
        _finish(outcome, json_output, err, screen, wide)
    request = api.RunRequest(
        scenario=scenario or "", dataset=dataset, data=data, target=target, adapters=_split(adapters),
        repeats=repeats, warmup=warmup, alpha=alpha, vif_threshold=vif_threshold,
        by=by.value if by else None, family=family, digits=digits, methods=_split(method),
        max_fits=max_fits, sizes=_sizes(sizes), shape=_shape(shape), seed=seed, cores=_cores(cores), out=out,
        memory=memory, h2o_url=h2o_url, spark_master=spark_master, isolation=isolation, timeout=timeout,
        retries=retries,
        budget_memory=budget_memory,
        weights=_weights(weight), settings=_settings(set_), intercept=False if no_intercept else None,
    )
    if not json_output:  # the tables' modules (~30-60 ms) imported now, while the launcher and the first
        import mlbench.reports.console  # noqa: F401 - platform start beside it, not after the last phase
    with _progress(err) as report:
        outcome = api.run(request, progress=report)
    _finish(outcome, json_output, err, screen, wide)


@contextlib.contextmanager
def _progress(err: Any) -> Iterator[Any]:
    """Progress of a run (mlbench.plan.ProgressState) on stderr. On a terminal, a live line: what runs, how far
    it is inside (an emulated search's fits and sizes), cells finished / total, the running cell's own elapsed
    time and the run's. Otherwise plain lines: one per event, and a still-running line every PLAIN_EVERY_S."""
    import time

    if not err.is_terminal:
        last_message, last_at = [""], [0.0]

        def plain(state: Any) -> None:
            now = time.monotonic()
            if state.message == last_message[0] and now - last_at[0] < PLAIN_EVERY_S:
                return
            text = state.message
            if state.message == last_message[0]:  # still the same cell
                running = now - state.cell_started if state.cell_started is not None else 0.0
                text += f" · running {running:.0f} s" + (f" · {state.detail}" if state.detail else "")
            last_message[0], last_at[0] = state.message, now
            err.print(f"[dim]· [{state.done}/{state.total}] {escape(text)}[/]", highlight=False)

        yield plain
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class CellElapsed(ProgressColumn):
        """The running cell's own elapsed time (the bar's last column is the run's)."""

        def render(self, task: Any) -> Text:
            started = task.fields.get("cell_started")
            return Text("" if started is None else f"cell {time.monotonic() - started:4.0f} s", style="cyan")

    with Progress(TextColumn("{task.description}"), TextColumn("{task.fields[detail]}", style="dim"),
                  BarColumn(bar_width=10), MofNCompleteColumn(), CellElapsed(), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("starting", total=None, cell_started=None, detail="")

        def update(state: Any) -> None:
            bar.update(task, description=escape(state.message[:50]), completed=state.done,
                       total=state.total or None, cell_started=state.cell_started, detail=escape(state.detail[:30]))

        yield update


PLAIN_EVERY_S = 30.0  # piped progress: how often a long cell says it is still running


def _finish(outcome: Any, json_output: bool, err: Any, screen: Any, wide: bool = False) -> None:
    """Print the run (JSON on stdout, or the tables fitted to `screen`'s width), say where it is stored, exit
    with its code."""
    if json_output:  # the tables say the data's notes (e.g. rows dropped for missing values); JSON cannot
        for dataset in outcome.manifest.get("datasets") or []:
            for note in dataset.get("notes") or []:
                err.print(f"note: {dataset.get('name')}: {note}", highlight=False, soft_wrap=True)
        sys.stdout.write(json.dumps(outcome.records) + "\n")
    else:
        from mlbench.reports.console import render_run
        from mlbench.results import restore_nonfinite

        render_run(screen, restore_nonfinite(outcome.manifest), restore_nonfinite(outcome.records), wide=wide)
    for notice in outcome.notices:
        err.print(f"note: {notice}", highlight=False, soft_wrap=True)
    err.print(f"records: {outcome.run_dir / 'records.jsonl'}", highlight=False)
    raise typer.Exit(outcome.exit_code)


@app.command("list")
def list_(what: Annotated[ListWhat, typer.Argument(help="adapters, scenarios or datasets")]) -> None:
    """List adapters (with version and availability), scenarios or datasets."""
    from mlbench import api
    from mlbench.reports.console import render_listing

    rows = {"adapters": api.list_adapters, "scenarios": api.list_scenarios, "datasets": api.list_datasets}[
        what.value
    ]()
    render_listing(_console(), what.value, rows)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory, e.g. results/<run_id>.")],
    format: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.table,  # noqa: A002
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    wide: WideOption = False,
    width: WidthOption = None,
    budget_memory: BudgetOption = None,
) -> None:
    """Render a stored run as a table, CSV or JSON (tables fit the terminal, or --width N columns)."""
    from mlbench import api
    from mlbench.results import output_file

    manifest, records, text = api.report(run_dir, format.value, budget_memory)
    if str(manifest.get("status") or "").startswith("damaged"):  # said whatever the format, tables say it too
        typer.echo(f"mlbench: warning: {run_dir} is {manifest['status']}; `mlbench run --resume {run_dir}` "
                   "runs their cells again", err=True)
    if text is None:
        from mlbench.reports.console import render_run

        if output is None:
            render_run(_console(width=width, wide=wide), manifest, records, wide=wide)
            return
        from rich.console import Console

        if wide and width is not None:
            raise MlbenchError("give --wide or --width, not both")
        with output_file(output) as fh:
            render_run(Console(file=fh, width=WIDE_WIDTH if wide else width or 200), manifest, records, wide=wide)
        return
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        with output_file(output) as fh:
            fh.write(text)


@app.command("scorecard")
def scorecard_command(
    run_dirs: Annotated[list[Path], typer.Argument(help="Run directories (pvalues, accuracy, train, deploy, ...).")],
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv, html or json.")] = "table",  # noqa: A002
    weight: Annotated[list[str] | None, typer.Option(
        help="Rank by weighted criterion groups, name=value (repeatable or comma-separated), e.g. "
             "--weight speed=2,accuracy=3; defaults in scenarios/scores/scorecard.yaml.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    wide: WideOption = False,
    width: WidthOption = None,
) -> None:
    """One decision table across runs: a row per platform, a measured figure per criterion, its run cited."""
    from mlbench import api
    from mlbench.results import output_file

    if format not in ("table", "csv", "html", "json"):
        raise MlbenchError(f"--format must be table, csv, html or json, not {format!r}")
    weights = _weights([part for w in weight or [] for part in w.split(",") if part]) if weight else None
    card = api.scorecard(run_dirs, weights)
    if format == "table":
        from mlbench.reports.console import print_layouts, scorecard_table

        console = _console(width=width, wide=wide)
        if output is not None:
            from rich.console import Console

            with output_file(output) as fh:
                print_layouts(Console(file=fh, width=width or 200), scorecard_table(card), wide)
            return
        print_layouts(console, scorecard_table(card), wide)
        return
    if format == "json":
        from mlbench.results import clean_json

        text = json.dumps(clean_json(card), indent=2, default=str)
    elif format == "csv":
        from mlbench.reports.scorecard import to_csv

        text = to_csv(card)
    else:
        from mlbench.reports.html.scorecard import render_scorecard_html

        text = render_scorecard_html(card)
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        with output_file(output) as fh:
            fh.write(text)


adapters_app = typer.Typer(help="Adapters: list them, scaffold a new one, run the conformance kit.",
                           no_args_is_help=True)
app.add_typer(adapters_app, name="adapters")


@adapters_app.command("list")
def adapters_list() -> None:
    """Name, platform version, availability (and why not), declared support per step."""
    from mlbench import api
    from mlbench.reports.console import render_listing

    render_listing(_console(), "adapters", api.list_adapters())


@adapters_app.command("new")
def adapters_new(
    name: Annotated[str, typer.Argument(help="Adapter name (a Python identifier, lower case).")],
    directory: Annotated[Path, typer.Option("--dir", help="Where to create mlbench-NAME/.")] = Path("."),
) -> None:
    """Write an installable adapter package: entry point, adapter class, conformance test."""
    from mlbench.scaffold import new_adapter

    root = new_adapter(name, directory)
    typer.echo(f"created {root}: pip install -e {root} && mlbench adapters check {name}")


@adapters_app.command("check")
def adapters_check(name: Annotated[str, typer.Argument(help="A registered adapter name.")]) -> None:
    """Run the conformance kit on an adapter: passed / failed / skipped, with reasons."""
    from mlbench import registry
    from mlbench.testing import check_adapter

    run = check_adapter(registry.get(name))
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"conformance of {name}", title_justify="left")
    for column in ("check", "status", "reason"):
        table.add_column(column, overflow="fold")
    styles = {"passed": "green", "failed": "bold red", "skipped": "yellow", "xfail": "yellow"}
    for result in run.results:
        table.add_row(Text(result.check), Text(result.status, style=styles[result.status]), Text(result.reason))
    console = _console()
    console.print(table)
    counts = {s: sum(r.status == s for r in run.results) for s in ("passed", "failed", "skipped", "xfail")}
    console.print(", ".join(f"{v} {k}" for k, v in counts.items()))
    raise typer.Exit(1 if run.failed else 0)


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="Baseline run directory (A).")],
    run_b: Annotated[Path, typer.Argument(help="Run directory compared with A (B).")],
    alpha: Annotated[float, typer.Option(min=0.0, max=1.0, help="Mann-Whitney U significance level.")] = 0.05,
    json_output: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    wide: WideOption = False,
    width: WidthOption = None,
) -> None:
    """Compare two runs: median time ratios B/A with significance, grade changes, environment differences."""
    from mlbench import api

    comparison = api.compare(run_a, run_b, alpha=alpha)
    if json_output:
        import json

        sys.stdout.write(json.dumps(comparison, indent=2) + "\n")
        return
    from mlbench.reports.compare import render_compare

    render_compare(_console(width=width, wide=wide), comparison, wide=wide)


@app.command()
def serve(
    artifact: Annotated[Path, typer.Argument(help="An exported model file (with its .meta.json beside it).")],
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1.")] = 8000,
    trust: Annotated[bool, typer.Option(help="Allow formats that run code when loaded (pickle, joblib).")] = False,
    max_body: Annotated[str, typer.Option(
        help="Largest /predict body, e.g. 4M or 512K (a plain number is MB); a bigger one is answered 413.")] = "4M",
) -> None:
    """Serve an exported artifact: POST /predict, GET /health, on 127.0.0.1 only."""
    from mlbench import api

    api.serve(artifact, port, trust, max_body)


_STOPPED_BY: list[int] = []  # the signal that stopped the run (SIGTERM); none: Ctrl-C


def _terminate(signum: int, frame: Any) -> None:
    _STOPPED_BY.append(signum)
    raise KeyboardInterrupt  # SIGTERM stops a run the way Ctrl-C does: records kept, JVMs stopped; exit 128 + 15


def _run_app() -> int:
    """The command's exit code: MlbenchError -> one line on stderr, 2; never a traceback for input."""
    try:
        app()
    except SystemExit as exc:  # click ends every command this way
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        typer.echo(str(exc.code), err=True)
        return 1
    except MlbenchError as exc:
        from mlbench.sanitize import printable, redact

        typer.echo(f"mlbench: error: {printable(redact(str(exc)))}", err=True)
        return 2
    except RunInterrupted as exc:
        typer.echo(f"mlbench: {exc}", err=True)
        return 128 + (_STOPPED_BY[0] if _STOPPED_BY else 2)  # 130 for Ctrl-C, 143 for SIGTERM, as shells say
    except KeyboardInterrupt:
        typer.echo("mlbench: interrupted", err=True)
        return 128 + (_STOPPED_BY[0] if _STOPPED_BY else 2)
    return 0


def _exit_now(code: int) -> None:
    """End the process without the interpreter's teardown, which frees the ~1500 modules a run imports (pandas,
    pyarrow, flint...) one by one: 0.3 s here, 15% of the main job. Nothing is lost by it: records are
    flushed as written, workers and JVMs were stopped by the runner, and what a clean exit would still do runs
    here first: other threads are joined and the atexit handlers (logging, temporary directories, the
    child-process safety net) run."""
    import atexit
    import os
    import threading

    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def main() -> None:
    """Console-script entry point."""
    import signal
    import warnings

    from mlbench import launcher

    # the workers' fork server starts importing before typer parses the command line (~0.1 s, more when loaded),
    # forked from this process, which has imported nothing but the command line yet, has no other thread, and
    # has not set the handlers and filters below (it and its workers are as fresh interpreters start)
    with launcher.running(_runs_workers(sys.argv[1:]), fork=True):
        signal.signal(signal.SIGTERM, _terminate)
        # numpy's overflow / invalid-value warnings (1e308 in the data, a constant target) name source lines; the
        # values themselves (inf, NaN) are recorded and graded, and the platforms' own output goes to platform.log
        warnings.simplefilter("ignore", RuntimeWarning)
        code = _run_app()
    _exit_now(code)


def _runs_workers(args: list[str]) -> bool:
    """Whether the command line is a `run` whose platforms run in worker processes (the default isolation):
    read before typer parses it, so a help or another command never starts the launcher (a bad option does, and
    ends it with the command)."""
    if args[:1] != ["run"] or "--help" in args:
        return False
    return not any(arg == "--isolation=inline" or (arg == "--isolation" and args[i + 1:i + 2] == ["inline"])
                   for i, arg in enumerate(args))


if __name__ == "__main__":
    main()
