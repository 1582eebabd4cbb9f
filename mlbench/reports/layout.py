"""Tables that fit a width: the console's layout engine, apart from what any table says.

A table is drawn as a `Grid` (columns, rows of rich Text, footnotes), in one or more layouts from the fullest to
the most compact; `choose` takes the fullest that fits (the first only if it fits without wrapping anything), and
splits the last one by columns (key columns repeated, column groups kept together) when even that is too wide.
Numbers never wrap; only free text may, and long text goes to numbered footnotes (`Notes`) under the table.
A width of None prints every table in its fullest layout, as wide as it needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mlbench.reports import table as described

Justify = Literal["left", "right", "center"]

@dataclass
class Col:
    """A column of a Grid. wrap: free text whose words may wrap (numbers never do). key: repeated in every part
    when the table is split by columns. group: columns with the same group stay in one part (and name it)."""

    header: str
    justify: Justify = "left"
    wrap: bool = False
    key: bool = False
    group: str | None = None


@dataclass
class Grid:
    """A table before it is drawn: title, columns, rows of cells, rows after which a rule is drawn, and the lines
    printed under it (numbered footnotes, legends)."""

    title: str
    columns: list[Col]
    rows: list[list[Text]] = field(default_factory=list)
    rules: set[int] = field(default_factory=set)
    notes: list[Text] = field(default_factory=list)

    def add(self, *cells: Text | str, rule: bool = False) -> None:
        self.rows.append([c if isinstance(c, Text) else Text(c) for c in cells])
        if rule:
            self.rules.add(len(self.rows) - 1)

    def extents(self) -> list[tuple[int, int]]:
        """(narrowest, natural) width of each column's content: a no-wrap column is as wide as its widest line;
        a wrapping one may shrink to its longest word."""
        out = []
        for i, column in enumerate(self.columns):
            lines = column.header.split("\n") + [line for row in self.rows for line in row[i].plain.split("\n")]
            widest = max((cell_len(line) for line in lines), default=0)
            if column.wrap:
                longest_word = max((cell_len(word) for line in lines for word in line.split()), default=0)
                out.append((max(longest_word, 1), max(widest, 1)))
            else:
                out.append((max(widest, 1), max(widest, 1)))
        return out

    def width(self, wrap: bool = True) -> int:
        """Columns drawn with rich's default box: content + 2 padding + 1 rule each, and the left edge."""
        return 1 + sum((lo if wrap else hi) + 3 for lo, hi in self.extents())

    def fits(self, width: int, wrap: bool = True) -> bool:
        return self.width(wrap) <= width


def _units(grid: Grid) -> list[list[int]]:
    """The non-key columns in runs that must stay together (one group, or one column)."""
    units: list[list[int]] = []
    for i, column in enumerate(grid.columns):
        if column.key:
            continue
        if units and column.group is not None and grid.columns[units[-1][-1]].group == column.group:
            units[-1].append(i)
        else:
            units.append([i])
    return units


def split(grid: Grid, width: int) -> list[Grid]:
    """The grid in parts by columns, each as wide as fits: key columns in every part, groups kept whole; the
    footnotes under the last part. Parts are titled by their groups, or numbered."""
    extents = grid.extents()
    keys = [i for i, c in enumerate(grid.columns) if c.key]
    base = 1 + sum(extents[i][0] + 3 for i in keys)
    parts: list[list[int]] = []
    current: list[int] = []
    used = base
    units = []
    for unit in _units(grid):  # a group wider than a part can be is split after all
        units += [unit] if base + sum(extents[i][0] + 3 for i in unit) <= width else [[i] for i in unit]
    for unit in units:
        need = sum(extents[i][0] + 3 for i in unit)
        if current and used + need > width:
            parts.append(current)
            current, used = [], base
        current += unit
        used += need
    parts.append(current)
    if len(parts) == 1:
        return [grid]
    out = []
    for number, part in enumerate(parts, 1):
        chosen = sorted(keys + part)
        groups = [grid.columns[i].group for i in part]
        if all(groups):
            title = f"{grid.title} — {', '.join(dict.fromkeys(g for g in groups if g))}"
        else:
            title = f"{grid.title} ({number}/{len(parts)})"
        out.append(Grid(title, [grid.columns[i] for i in chosen], [[row[i] for i in chosen] for row in grid.rows],
                        set(grid.rules), grid.notes if number == len(parts) else []))
    return out


Layout = list[Grid]


def choose(width: int | None, layouts: Iterable[Layout]) -> Layout:
    """The layout to print at `width` (None: the first, in full). The first of several layouts is taken only if
    it fits without wrapping; a later one may wrap its text; the last is split by columns if it is still too
    wide."""
    candidates = [layout for layout in layouts if layout]
    if not candidates:
        return []
    if width is None:
        return candidates[0]
    for number, layout in enumerate(candidates):
        may_wrap = number > 0 or len(candidates) == 1
        if all(grid.fits(width, wrap=may_wrap) for grid in layout):
            return layout
    return [part for grid in candidates[-1] for part in split(grid, width)]


def _fixed_widths(grid: Grid, width: int) -> list[int] | None:
    """Column widths that fit `width` when the natural ones do not: no-wrap columns at their content's width,
    wrapping columns from their longest word up, sharing the room left in proportion to what they lack."""
    extents = grid.extents()
    if grid.width(wrap=False) <= width or grid.width(wrap=True) > width:
        return None
    widths = [lo for lo, _ in extents]
    room = width - grid.width(wrap=True)
    lack = [hi - lo for lo, hi in extents]
    total = sum(lack)
    for i, short in enumerate(lack):
        add = min(short, room * short // total) if total else 0
        widths[i] += add
    left = width - (1 + sum(w + 3 for w in widths))
    for i in sorted(range(len(widths)), key=lambda i: widths[i] - extents[i][1]):
        if left <= 0:
            break
        add = min(left, extents[i][1] - widths[i])
        widths[i] += add
        left -= add
    return widths


def to_table(grid: Grid, width: int | None) -> Table:
    """The rich Table of a grid, its columns sized to fit `width` (None: natural)."""
    widths = _fixed_widths(grid, width) if width is not None else None
    table = Table(title=grid.title or None, title_justify="left")
    for i, column in enumerate(grid.columns):
        table.add_column(column.header, justify=column.justify, no_wrap=not column.wrap,
                         overflow="fold" if column.wrap else "ellipsis",
                         width=widths[i] if widths is not None else None)
    for index, row in enumerate(grid.rows):
        table.add_row(*row, end_section=index in grid.rules and index < len(grid.rows) - 1)
    return table


NOTE_CHARS = 4000  # only a pathological text (a platform's error with a whole dump) is longer


class Notes:
    """Numbered footnotes of one table: the same text gets the same number, with every cell it belongs to."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.where: list[list[str]] = []

    def mark(self, text: str, where: str = "") -> str:
        """The marker (" [n]") of a footnote with this text, noting `where` it applies. The text is put on one
        line and printed whole, wrapped at words to the width; only a text longer than NOTE_CHARS (a platform's
        error with its whole dump) is shortened, after its last whole phrase, the record keeping it whole."""
        text = " ".join(text.split())
        if len(text) > NOTE_CHARS:
            head = text[:NOTE_CHARS]
            cut = max(head.rfind(mark) for mark in (" · ", "; ", ". "))
            text = (head[:cut + 1] if cut > 0 else head.rsplit(" ", 1)[0]) + \
                " [shortened: the whole text is in records.jsonl]"
        if text in self.texts:
            number = self.texts.index(text)
            if where and where not in self.where[number]:
                self.where[number].append(where)
        else:
            self.texts.append(text)
            self.where.append([where] if where else [])
            number = len(self.texts) - 1
        return f" [{number + 1}]"

    def entries(self) -> list[tuple[int, str]]:
        """(number, "places: text") of each footnote, as the terminal and the HTML report print them."""
        out = []
        for number, (text, where) in enumerate(zip(self.texts, self.where, strict=True), 1):
            places = ", ".join(where[:4]) + (f" and {len(where) - 4} more" if len(where) > 4 else "")
            out.append((number, (f"{places}: " if places else "") + text))
        return out

    def lines(self) -> list[Text]:
        return [Text(f"[{number}] {text}", style="dim") for number, text in self.entries()]


def print_layouts(console: Console, layouts: Iterable[Layout], wide: bool = False) -> None:
    """Print the layout of a table that fits the console (or the first, in full, when wide)."""
    width = None if wide else console.width
    for grid in choose(width, layouts):
        console.print(to_table(grid, width))
        for note in grid.notes:
            console.print(note)


def legend(text: str) -> Text:
    return Text(text, style="dim")


# ------------------------------------------------------------------------- any described Table, in a terminal

TONE_STYLE = {"good": "green", "warn": "yellow", "bad": "red", "dim": "dim", "best": "bold green", "strong": "bold"}


def grid_of(table: described.Table) -> Grid:
    """The Grid of a described Table: each cell in its tone's style, a cell's footnote numbered under the table
    (the same text, the same number), then the table's own footnotes (plain, or dim as a legend)."""
    notes = Notes()
    grid = Grid(table.title, [Col(c.header, c.align, c.wrap, c.key, c.group) for c in table.columns])
    for index, row in enumerate(table.cells()):
        shown = []
        for cell in row:
            text = Text(cell.text, style=TONE_STYLE.get(cell.tone or "", ""))
            if cell.aside:
                text.append(f" {cell.aside}", style="dim")
            if cell.note:
                text.append(notes.mark(cell.note, cell.where))
            shown.append(text)
        grid.add(*shown, rule=index in table.rules)
    grid.notes = [*notes.lines(), *(Text(str(n)) if isinstance(n, described.Plain) else legend(n)
                                    for n in table.footnotes)]
    return grid


def print_tables(console: Console, tables: list[described.Layouts], wide: bool = False) -> None:
    """Print each described table in the layout that fits the console (wide: the fullest)."""
    for layouts in tables:
        print_layouts(console, [[grid_of(t) for t in layout] for layout in layouts], wide)
