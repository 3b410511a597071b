"""A `Document` as Markdown: a heading per section, fields as a list, tables as pipe tables.

User text cannot break the layout: a `|` in a cell is escaped, line breaks in a cell or a
heading become spaces, and a cell that a spreadsheet would read as a formula is neutralised
(`safe_cell`), since Markdown tables get pasted into spreadsheets."""

from __future__ import annotations

from lta_tui.exports.cells import safe_cell
from lta_tui.exports.document import Cell, Document, Section, Table, cell_text, is_number


def one_line(text: str) -> str:
    """`text` with every line break (and run of whitespace around it) turned into one space."""
    return " ".join(text.split()) if ("\n" in text or "\r" in text) else text


def table_cell(cell: Cell) -> str:
    text = cell_text(cell)
    if isinstance(cell, str):
        text = safe_cell(text)
    return one_line(text).replace("|", "\\|")


def _field_value(cell: Cell) -> str:
    """A field's value; a text of several lines continues, indented, inside its list item."""
    text = cell_text(cell)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n  ".join(lines)


def render_table(table: Table, heading: bool = True) -> list[str]:
    """A pipe table under its `###` title (left out when `heading` is false)."""
    out = [f"### {one_line(table.title)}", ""] if heading else []
    if not table.rows:
        out += [f"_{one_line(table.empty)}_", ""]
    else:
        numeric = [
            any(is_number(row[i]) for row in table.rows)
            and all(is_number(row[i]) or row[i] is None for row in table.rows)
            for i in range(len(table.columns))
        ]
        out.append("| " + " | ".join(table_cell(c) for c in table.columns) + " |")
        out.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
        out += ["| " + " | ".join(table_cell(c) for c in row) + " |" for row in table.rows]
        out.append("")
    for note in table.notes:
        out += [note, ""]
    return out


def render_section(section: Section) -> list[str]:
    out = [f"## {one_line(section.title)}", ""]
    if section.fields:
        out += [f"- **{one_line(k)}:** {_field_value(v)}" for k, v in section.fields]
        out.append("")
    for paragraph in section.paragraphs:
        out += [paragraph, ""]
    for table in section.tables:
        # a section's only table named like the section needs no heading of its own
        alone = len(section.tables) == 1 and table.title == section.title
        out += render_table(table, heading=not alone)
    return out


def render(document: Document) -> str:
    """The whole document as Markdown text, ending with one newline."""
    out = [f"# {one_line(document.title)}", ""]
    if document.subtitle:
        out += [one_line(document.subtitle), ""]
    for section in document.sections:
        out += render_section(section)
    return "\n".join(out).rstrip("\n") + "\n"
