"""A report table described once: what it says (title, columns, rows, footnotes), never how it is drawn.

The detail tables' pivots in mlbench/reports/details/ return `Table`s; the console draws any `Table` within a width
(mlbench.reports.layout.grid_of: numbered footnotes, split by column groups when too wide) and the HTML report
draws any `Table` sortable (mlbench.reports.html.cells.draw). A cell is a value its column formats and tones, or
a `Cell` that says its own text, tone, sort key and footnote.

A detail table is declared once with `detail(name, section)`: its builder takes a `RunView` and returns the
tables it shows, each as its layouts (fullest first; the HTML draws the fullest, the console the fullest that
fits). The console prints the details in declaration order, the HTML puts each in its section. Adding a detail
table for a new step is that one declaration (docs/architecture.md, "Recipe: add a detail table").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Justify = Literal["left", "right", "center"]
Tone = Literal["good", "bad", "warn", "dim", "best", "strong"]


@dataclass
class Cell:
    """A cell that says its own text. tone: good, bad, warn, dim, best (★), strong; sort: the HTML sort key;
    note: a footnote (numbered under the table, in a terminal and in HTML alike), `where` it applies; `code`: the
    part of the note that is a command to type (HTML sets it as code); title: HTML's hover text; aside: a small
    figure after the text (a sub-score: dim in a terminal, small in HTML)."""

    text: str
    tone: Tone | None = None
    sort: Any = None
    note: str | None = None
    where: str = ""
    title: str | None = None
    code: str | None = None
    aside: str = ""


@dataclass
class Column:
    """A column: its header ('\\n' breaks a line), alignment, how a plain value is shown (`format`) and toned
    (`tone`), whether it is a key (repeated in every part of a split table), its group (kept together, names
    the part), whether its words may wrap, and a tooltip (HTML)."""

    header: str
    align: Justify = "left"
    format: Callable[[Any], str] | None = None
    tone: Callable[[Any], Tone | None] | None = None
    key: bool = False
    group: str | None = None
    wrap: bool = False
    tooltip: str | None = None

    def cell(self, value: Any) -> Cell:
        if isinstance(value, Cell):
            return value
        text = self.format(value) if self.format else ("" if value is None else str(value))
        sort = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        return Cell(text, self.tone(value) if self.tone else None, sort)


class Plain(str):
    """A footnote printed as plain text (a legend, the default, is printed dim)."""


@dataclass
class Table:
    """Title, columns, rows (values or Cells), the rows after which a rule is drawn (in HTML, the rows after the
    last rule are the table's foot), and the footnotes printed under it. HTML may draw a table transposed (its
    first column across the top, every other column a row: html.cells.draw), as the scorecard's page does."""

    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)
    rules: set[int] = field(default_factory=set)

    def add(self, *cells: Any, rule: bool = False) -> None:
        self.rows.append(list(cells))
        if rule:
            self.rules.add(len(self.rows) - 1)

    def cells(self) -> list[list[Cell]]:
        return [[column.cell(value) for column, value in zip(self.columns, row, strict=True)] for row in self.rows]


Layouts = list[list[Table]]  # a table's layouts, fullest first; each the tables printed together


@dataclass
class RunView:
    """What a detail table is built from: the run's manifest, its records, the reference answers."""

    manifest: dict[str, Any]
    records: list[dict[str, Any]]
    reference: dict[str, Any] = field(default_factory=dict)


Builder = Callable[[RunView], list[Layouts]]


@dataclass
class Detail:
    name: str
    section: str  # the HTML section it is drawn in (html.page.SECTIONS; another name makes a section of its own)
    build: Builder


DETAILS: list[Detail] = []


def detail(name: str, section: str, before: str | None = None) -> Callable[[Builder], Builder]:
    """Declare a detail table: `build(run)` returns its tables (each as its layouts). Printed in declaration order
    (or before the detail named `before`); a second declaration of a name replaces the first."""

    def register(build: Builder) -> Builder:
        DETAILS[:] = [d for d in DETAILS if d.name != name]
        entry = Detail(name, section, build)
        names = [d.name for d in DETAILS]
        DETAILS.insert(names.index(before) if before in names else len(DETAILS), entry)
        return build

    return register


def forget(name: str) -> None:
    """Remove a declared detail table (tests)."""
    DETAILS[:] = [d for d in DETAILS if d.name != name]


