"""Aligned plain-text tables (what the CLI prints)."""
from __future__ import annotations

from typing import Sequence

__all__ = ["text_table"]


def text_table(head: Sequence[str], cells: Sequence[Sequence[str]], left: int | None = None,
               group_by: int | None = 0) -> str:
    """Format ``cells`` (rows of strings) under ``head`` with aligned columns.

    Parameters
    ----------
    head : sequence of str
        Column titles.
    cells : sequence of sequences of str
        One row per entry, as many cells as ``head``.
    left : int, optional
        The first ``left`` columns are left-aligned, the rest right-aligned (default: all
        left-aligned).
    group_by : int or None
        A blank line separates consecutive rows whose cell in this column differs
        (None: no blank lines).

    Returns
    -------
    str
        Header, a dashed rule and the rows, joined by newlines.
    """
    n_left = len(head) if left is None else left
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
              for i, h in enumerate(head)]

    def line(row):
        return "  ".join(x.ljust(w) if i < n_left else x.rjust(w)
                         for i, (x, w) in enumerate(zip(row, widths)))

    lines = [line(head), "  ".join("-" * w for w in widths)]
    prev = None
    for c in cells:
        if group_by is not None and prev is not None and c[group_by] != prev:
            lines.append("")
        prev = c[group_by] if group_by is not None else None
        lines.append(line(c))
    return "\n".join(lines)
