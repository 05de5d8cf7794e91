"""The Markdown summary, written between markers into the provenance doc."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np

from engine.provenance.watermark import THRESHOLD

from .common import ATTACKS


def write_report(rows: list[dict[str, object]], null: list[tuple[str, float]], doc: Path,
                 elapsed: float, description: str, marker: str = "eval") -> str:
    n = len(rows)
    lines = [
        "| attack | detected | rate | export id read | min score | median score |",
        "|---|---|---|---|---|---|",
    ]
    for a in ATTACKS:
        rs = [cast(dict[str, Any], r[a]) for r in rows if isinstance(r.get(a), dict)]
        det = sum(1 for r in rs if r["marked"])
        ids = sum(1 for r in rs if r["id_ok"])
        sc = [float(r["score"]) for r in rs]
        lines.append(
            f"| {a} | {det}/{n} | {100 * det / max(n, 1):.1f}% | {ids}/{n} | "
            f"{min(sc):.1f} | {float(np.median(sc)):.1f} |"
        )
    ps = [float(r["psnr"]) for r in rows]  # type: ignore[arg-type]
    vis = [float(r.get("flat_max", 0.0)) for r in rows]  # type: ignore[arg-type]
    frac = [float(r.get("flat_changed", 0.0)) for r in rows]  # type: ignore[arg-type]
    scores = np.array([s for _, s in null]) if null else np.zeros(1)
    fp = int((scores >= THRESHOLD).sum()) if null else 0
    worst = max(null, key=lambda x: x[1]) if null else ("-", 0.0)
    lines += [
        "",
        f"- Files: {n}. {description}",
        f"- PSNR of marked vs unmarked frame: min {min(ps):.1f} dB, mean {np.mean(ps):.1f} dB.",
    ]
    if any("flat_max" in r for r in rows):
        lines.append(
            f"- Flat areas (local sd < 1 grey level): largest change {max(vis):.0f} grey "
            f"level(s); share of flat pixels changed at all: mean {100 * np.mean(frac):.1f}%, "
            f"max {100 * max(frac):.1f}%."
        )
    lines += [
        f"- False positives over {len(null)} real GRID clips (unmarked): **{fp}**. "
        f"Null scores: mean {scores.mean():.2f}, sd {scores.std():.2f}, "
        f"max {scores.max():.2f} ({worst[0]}); threshold {THRESHOLD:.1f} "
        f"(margin {THRESHOLD - scores.max():.2f}, i.e. "
        f"{(THRESHOLD - scores.mean()) / max(scores.std(), 1e-9):.1f} sd above the null mean).",
        f"- Evaluation time: {elapsed / 60:.1f} min on a shared 2-core CPU.",
    ]
    table = "\n".join(lines)
    text = doc.read_text() if doc.exists() else ""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{table}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text += "\n" + block + "\n"
    doc.write_text(text)
    return table
