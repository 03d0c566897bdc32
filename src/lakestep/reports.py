"""Self-contained HTML reports with plots (gate decisions, drift, metrics).

One small builder serves every report: sections of text, tables and matplotlib figures
embedded as PNG data URIs, so a report is one file that opens anywhere (also as an
MLflow artifact).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:4px 8px;
font-size:.9em;text-align:left}th{background:#f4f4f4}.pass{color:#0a7d2c;font-weight:bold}
.fail{color:#b00020;font-weight:bold}.muted{color:#777}img{max-width:100%}
.badge{display:inline-block;padding:4px 12px;border-radius:4px;color:#fff}
.badge.pass{background:#0a7d2c}.badge.fail{background:#b00020}
"""


class HtmlReport:
    def __init__(self, title: str, subtitle: str | None = None) -> None:
        self.title = title
        self._parts: list[str] = [f"<h1>{html.escape(title)}</h1>"]
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        self._parts.append(
            f"<p class='muted'>{html.escape(subtitle or '')} — generated {stamp}</p>"
        )

    def heading(self, text: str) -> HtmlReport:
        self._parts.append(f"<h2>{html.escape(text)}</h2>")
        return self

    def text(self, text: str) -> HtmlReport:
        self._parts.append(f"<p>{html.escape(text)}</p>")
        return self

    def badge(self, passed: bool, text: str) -> HtmlReport:
        css = "pass" if passed else "fail"
        self._parts.append(f"<p><span class='badge {css}'>{html.escape(text)}</span></p>")
        return self

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HtmlReport:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{_cell(value)}</td>" for value in row) + "</tr>"
            for row in rows
        )
        self._parts.append(f"<table><tr>{head}</tr>{body}</table>")
        return self

    def figure(self, fig: Any, alt: str) -> HtmlReport:
        """Embed a matplotlib figure as a PNG data URI and close it."""
        import matplotlib.pyplot as plt

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
        plt.close(fig)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        self._parts.append(f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{data}'>")
        return self

    def render(self) -> str:
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}"
            f"</title><style>{_STYLE}</style></head><body>{''.join(self._parts)}</body></html>"
        )

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.render(), encoding="utf-8")
        return path


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        css, word = ("pass", "pass") if value else ("fail", "fail")
        return f"<span class='{css}'>{word}</span>"
    if isinstance(value, float):
        return f"{value:.4g}"
    return html.escape("" if value is None else str(value))


def new_figure(width: float = 7.0, height: float = 3.2) -> tuple[Any, Any]:
    """A matplotlib figure on the non-interactive Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))
