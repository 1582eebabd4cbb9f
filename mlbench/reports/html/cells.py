"""The HTML report's building blocks: escaped cells, headers, badges, numbers, tables, figures.

Every string from data goes through esc (html.escape, quotes included); helpers that take HTML say so.
`column_head` and `column_cell` draw summary.CELL_COLUMNS, the side-by-side columns every renderer shares.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlbench.reports import summary
from mlbench.reports.summary import Column, fmt
from mlbench.reports.svg import esc
from mlbench.reports.table import Cell, Table
from mlbench.reports.table import Column as TableColumn

TONE_CLASS = {"good": "b-ok", "warn": "b-warn", "bad": "b-bad", "dim": "b-dim"}

__all__ = ["TONE_CLASS", "badge", "column_cell", "column_head", "draw", "esc", "figure", "grade_badge", "kv_table",
           "num", "status_badge", "table", "td", "th", "time_cell", "toned", "txt"]


def _attrs(cls: str | None = None, sort: Any = None, title: str | None = None, scope: str | None = None) -> str:
    out = ""
    if cls:
        out += f' class="{esc(cls)}"'
    if sort is not None and not (isinstance(sort, float) and sort != sort):
        out += f' data-sort="{esc(repr(sort) if isinstance(sort, float) else sort)}"'
    if title:
        out += f' title="{esc(title)}"'
    if scope:
        out += f' scope="{scope}"'
    return out


def td(inner: str = "", cls: str | None = None, sort: Any = None, title: str | None = None) -> str:
    """A cell whose `inner` is already HTML (escape data with esc() or use txt())."""
    return f"<td{_attrs(cls, sort, title)}>{inner}</td>"


def txt(value: Any, cls: str | None = None, title: str | None = None) -> str:
    return td(esc(value), cls, title=title)


def num(value: Any, digits: int = 6, cls: str = "num") -> str:
    sort = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return td(esc(fmt(value, digits)), cls, sort=sort)


def th(label: str, cls: str | None = None, title: str | None = None) -> str:
    """A header cell; `label` is escaped, a '\\n' becomes a line break."""
    inner = "<br>".join(esc(part) for part in label.split("\n"))
    return f'<th{_attrs(cls, title=title, scope="col")}>{inner}</th>'


def badge(text: Any, cls: str) -> str:
    return f'<span class="badge {cls}">{esc(text)}</span>'


def toned(value: Any, tones: dict[str, str]) -> str:
    """A badge in its value's tone (summary.SUPPORT_TONES, STATUS_TONES); empty for no value."""
    tone = summary.tone(value, tones)
    return badge(value, TONE_CLASS[tone]) if tone else ""


def status_badge(status: Any) -> str:
    return toned(status, summary.STATUS_TONES)


def grade_badge(grade: Any, agrees: Any) -> str:
    """A grade as the terminal says it (summary.grade_words): its verdict word as a badge, the detail beside it."""
    if not grade:
        return ""
    word, detail = summary.grade_words(grade)
    return badge(word, "b-ok" if agrees else "b-bad") + (f' <span class="muted">{esc(detail)}</span>'
                                                          if detail else "")


def time_cell(median: float | None, spread: float | None, digits: int = 3) -> str:
    """A median with the interquartile range of the repeats as its ± spread."""
    if median is None:
        return td("—", "num")
    extra = summary.spread_text(spread)
    inner = esc(fmt(median, digits)) + (f' <span class="iqr">{esc(extra)}</span>' if extra else "")
    return td(inner, "num", sort=float(median),
              title=None if spread is None else "median; ± is the interquartile range of the repeats")


def column_head(column: Column) -> str:
    return th(column.header or column.key, "num" if column.numeric else None, column.tooltip)


def column_cell(column: Column, row: dict[str, Any]) -> str:
    """One cell of a per-cell table (summary.cell_rows), drawn as its column's kind says."""
    value = row.get(column.key)
    aux = row.get(column.aux) if column.aux else None
    if column.kind == "badge":
        return td(toned(value, column.tones))
    if column.kind == "verdict":
        return td(grade_badge(value, aux), sort=summary.grade_text(value))
    if column.kind == "number":
        return num(value, column.digits)
    if column.kind == "time":
        return time_cell(value, aux, column.digits)
    if column.kind == "headline":
        shown, label = summary.headline_text(aux, value)
        inner = f'{esc(shown)} <span class="muted">{esc(label)}</span>' if label else ""
        return td(inner, "num", sort=value)
    if column.kind == "note":
        return txt(value, "wrap err" if row.get("status") in summary.FAILED else "wrap")
    return txt(value)


def table(head: list[str], rows: list[list[str]], caption: str | None = None, foot: list[list[str]] | None = None,
          sortable: bool = True, cls: str = "", notes: list[str] | None = None) -> str:
    """A <table> from pre-rendered <th>/<td> strings; footer rows are not sorted; `notes` (text) below it."""
    classes = " ".join(c for c in ("sortable" if sortable else "", cls) if c)
    # The caption sits above the table as a paragraph: a <caption> would widen or squeeze the table to its text.
    label = f' aria-label="{esc(caption)}"' if caption else ""
    out = [f'<p class="tcap">{esc(caption)}</p>' if caption else "",
           f'<div class="scroll"><table{_attrs(classes or None)}{label}>']
    out.append("<thead><tr>" + "".join(head) + "</tr></thead>")
    out.append("<tbody>" + "".join("<tr>" + "".join(r) + "</tr>" for r in rows) + "</tbody>")
    if foot:
        out.append("<tfoot>" + "".join("<tr>" + "".join(r) + "</tr>" for r in foot) + "</tfoot>")
    out.append("</table></div>")
    out.extend(f'<p class="note">{esc(note)}</p>' for note in notes or [])
    return "\n".join(out)


def kv_table(pairs: list[tuple[str, str]], caption: str | None = None) -> str:
    """Key/value rows; values are pre-rendered HTML."""
    rows = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{v}</td></tr>' for k, v in pairs)
    cap = f'<p class="tcap">{esc(caption)}</p>' if caption else ""
    return f'{cap}<div class="scroll"><table class="kv"><tbody>{rows}</tbody></table></div>'


def figure(svg_markup: str, caption: str, note: str = "") -> str:
    small = f"<small>{esc(note)}</small>" if note else ""
    return f"<figure><figcaption>{esc(caption)}{small}</figcaption>\n{svg_markup}\n</figure>"


TONE_CELL = {"good": "good", "bad": "bad", "warn": "warn", "dim": "muted", "best": "good", "strong": "strong"}
ALIGN_CELL = {"left": "", "right": "num", "center": "center"}


def draw(described: Table, transposed: bool = False, cls: str = "") -> str:
    """Any described Table (mlbench.reports.table) as an HTML table: its title the caption, each cell's footnote
    numbered as in the terminal (the number beside the cell, the note under the table, a command in it as code),
    its own footnotes under it. In place: sortable, the rows after the last rule its foot. Transposed (not
    sorted): the first column's cells across the top, then every other column as a row headed by its header and
    tooltip, key columns first, a heading row where the column group changes."""
    from mlbench.reports.layout import Notes

    notes = Notes()
    codes: set[str] = set()

    def cell_html(column: TableColumn, cell: Cell, aligned: bool = True) -> str:
        """A cell, aligned as its column (not in a transposed table, where a column of cells is a row)."""
        classes = " ".join(x for x in (ALIGN_CELL[column.align] if aligned else "", "wrap" if column.wrap else "",
                                       TONE_CELL.get(cell.tone or "", "")) if x)
        mark = f"<sup>{notes.mark(cell.note, cell.where).strip(' []')}</sup>" if cell.note else ""
        if cell.note and cell.code:
            codes.add(cell.code)
        aside = f' <span class="iqr">{esc(cell.aside)}</span>' if cell.aside else ""
        return td(esc(cell.text) + aside + mark, classes or None, sort=cell.sort, title=cell.title)

    cells = described.cells()
    if transposed:
        out = _transposed(described, cells, cell_html, cls)
    else:
        head = [th(c.header, ALIGN_CELL[c.align] or None, c.tooltip) for c in described.columns]
        rows = [[cell_html(column, cell) for column, cell in zip(described.columns, row, strict=True)]
                for row in cells]
        last = max(described.rules, default=None)
        body, foot = (rows[:last + 1], rows[last + 1:]) if last is not None else (rows, [])
        out = table(head, body, described.title, foot or None, cls=cls)

    def note_html(text: str) -> str:
        shown = esc(text)
        for code in codes:
            shown = shown.replace(esc(code), f"<code>{esc(code)}</code>")
        return shown

    numbered = "".join(f'<p class="note"><sup>{number}</sup> {note_html(text)}</p>'
                       for number, text in notes.entries())
    legends = "".join(f'<p class="note">{esc(note)}</p>' for note in described.footnotes)
    return out + numbered + legends  # in the terminal's order


def _transposed(described: Table, cells: list[list[Cell]], cell_html: Callable[..., str], cls: str) -> str:
    """`draw`'s transposed table: one HTML column per row of the Table, one HTML row per column of it."""
    head = [th(""), *(th(row[0].text) for row in cells)]
    order = sorted(range(1, len(described.columns)), key=lambda i: not described.columns[i].key)
    body: list[list[str]] = []
    group = None
    for i in order:
        column = described.columns[i]
        if not column.key and column.group and column.group != group:
            group = column.group
            body.append([f'<th scope="rowgroup" colspan="{len(cells) + 1}" class="row-group">{esc(group)}</th>'])
        help_text = f'<br><span class="muted row-help">{esc(column.tooltip)}</span>' if column.tooltip else ""
        label = " ".join(column.header.split("\n"))
        body.append([f'<th scope="row">{esc(label)}{help_text}</th>',
                     *(cell_html(column, row[i], aligned=False) for row in cells)])
    return table(head, body, described.title, sortable=False, cls=cls)
