"""The results table: rich when installed, plain text otherwise."""

from __future__ import annotations

from benchmarks.common import Result

COLUMNS = ["benchmark", "measured", "baseline", "ratio", "target", "result"]


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def rows(results: list[Result], failures: dict[str, str]) -> list[list[str]]:
    table = []
    for r in results:
        verdict = {True: "PASS", False: "FAIL", None: "info"}[r.passed]
        table.append([
            r.name,
            _num(r.value, r.unit),
            f"{_num(r.baseline, r.unit)} ({r.baseline_name})" if r.baseline_name else "-",
            "-" if r.ratio is None else f"{r.ratio:.2f}x",
            r.target_text,
            verdict,
        ])
    for name, error in failures.items():
        table.append([name, "-", "-", "-", "-", f"ERROR: {error[:60]}"])
    return table


def print_table(results: list[Result], failures: dict[str, str], *, title: str) -> None:
    body = rows(results, failures)
    notes = [f"{r.name}: {note}" for r in results for note in r.notes]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        _plain(body, notes, title)
        return
    table = Table(title=title)
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("benchmark", "target") else "right")
    for row in body:
        style = {"PASS": "green", "FAIL": "red", "info": ""}.get(row[-1], "yellow")
        table.add_row(*row[:-1], f"[{style}]{row[-1]}[/]" if style else row[-1])
    console = Console(width=160)
    console.print(table)
    for note in notes:
        console.print(f"  {note}", highlight=False, soft_wrap=True)


def _plain(body: list[list[str]], notes: list[str], title: str) -> None:
    widths = [max(len(row[i]) for row in [COLUMNS, *body]) for i in range(len(COLUMNS))]
    print(title)
    for row in [COLUMNS, ["-" * w for w in widths], *body]:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    for note in notes:
        print(f"  {note}")


def markdown(results: list[Result], failures: dict[str, str]) -> str:
    """The same table as Markdown (for the README)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(results, failures)]
    lines += [""] + [f"- {r.name}: {note}" for r in results for note in r.notes]
    return "\n".join(lines)
