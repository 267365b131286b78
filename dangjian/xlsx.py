"""The shape every .xlsx export shares (openpyxl write-only: rows are streamed, memory stays flat):
a sheet with its column widths, an optional bold title line, and a bold header row."""
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

BOLD = Font(bold=True)


def streamed_sheet(wb: Workbook, name: str, headers, widths, title: str | None = None):
    """A write-only sheet with `widths`, then `title` (if any) and `headers` as its first rows; the
    panes are frozen below the header."""
    ws = wb.create_sheet(name)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A3" if title else "A2"
    if title:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = Font(bold=True, size=13)
        ws.append([cell])
    ws.append([bold_cell(ws, h) for h in headers])
    return ws


def bold_cell(ws, value):
    cell = WriteOnlyCell(ws, value=value)
    cell.font = BOLD
    return cell
