"""Median and worst clip of each validation metric, and the Markdown tables of them.

:func:`summarise` groups the per-clip rows of :mod:`engine.model.evaluation`
(one per clip, portrait and motion source) and gives, per group and source,
the median and the worst clip of each metric; :func:`markdown` writes the
tables ``evaluate-model`` prints and the README quotes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

#: (``brow_ratio``, the brows' height std generated over real, is in the summary, not in
#: the tables.)
METRICS = ("r", "r_speech", "lag", "lmd", "closed", "std_ratio", "head_ratio", "brow_ratio")
#: Sets whose speakers move their heads naturally (GRID speakers were asked to keep
#: still): the head-rotation ratio is judged on these.
HEAD_SETS = ("CREMA-D 1001", "GRID s4hq")
#: Clips with fewer silent frames than this have no worst "closed in silence" (one or two
#: frames of silence say little). The median of "closed" is the share of all silent frames.
MIN_SILENT = 5
#: How the worst clip of each metric is chosen: "min", "max", or "far" (furthest from 1
#: in ratio, i.e. largest |log|).
WORST = {"r": "min", "r_speech": "min", "lag": "absmax", "lmd": "max", "closed": "min",
         "std_ratio": "far", "head_ratio": "far", "brow_ratio": "far"}


def _worst(values: np.ndarray, how: str) -> float:
    v = values[np.isfinite(values)]
    if not len(v):
        return float("nan")
    if how == "min":
        return float(v.min())
    if how == "max":
        return float(v.max())
    if how == "absmax":
        return float(v[np.argmax(np.abs(v))])
    return float(v[np.argmax(np.abs(np.log(np.maximum(v, 1e-9))))])


def summarise(rows: list[dict], group: Callable[[dict], str | None]) -> dict:
    """``{group: {source: {metric: {"median", "worst", "worst_clip"}}}}``."""
    out: dict = {}
    for row in rows:
        g = group(row)
        if g is not None:
            out.setdefault(g, {}).setdefault(row["source"], []).append(row)
    res: dict = {}
    for g, by_src in out.items():
        res[g] = {}
        for src, rs in by_src.items():
            res[g][src] = {"n": len(rs)}
            for k in METRICS:
                if k not in rs[0] or (k == "head_ratio" and
                                      not any(r["set"] in HEAD_SETS for r in rs)):
                    continue
                use = [r for r in rs if k != "head_ratio" or r["set"] in HEAD_SETS]
                v = np.array([r[k] for r in use], np.float64)
                med = float(np.nanmedian(v)) if np.isfinite(v).any() else float("nan")
                if k == "closed":  # the share of all silent frames; worst of clips with some
                    n = np.array([r["silent_frames"] for r in use], np.float64)
                    med = float(np.nansum(v * n) / max(n.sum(), 1.0))
                    use = [r for r in use if r["silent_frames"] >= MIN_SILENT]
                    v = np.array([r[k] for r in use], np.float64)
                w = _worst(v, WORST[k])
                wc = next((f"{r['speaker']}/{r['clip']} ({r['portrait']})" for r in use
                           if r[k] == w), "")
                res[g][src][k] = {"median": med, "worst": w, "worst_clip": wc}
    return res


def _cell(m: dict, k: str, fmt: str, scale: float = 1.0) -> str:
    if k not in m:
        return "n/a"
    med, worst = m[k]["median"] * scale, m[k]["worst"] * scale
    return f"{med:{fmt}} / " + (f"{worst:{fmt}}" if np.isfinite(worst) else "n/a")


def markdown(summary: dict) -> str:
    lines = []
    for g, by_src in summary.items():
        n = next(iter(by_src.values()))["n"]
        lines.append(f"**{g}** ({n} clip x portrait pairs; median / worst clip; closed in "
                     f"silence: share of all silent frames / worst clip)\n")
        lines.append("| source | mouth-opening r | r inside speech | lag, frames | mouth LMD / "
                     "IOD | closed in silence | opening std, gen / real | head rotation std, "
                     "gen / real |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for src, m in by_src.items():
            cells = [_cell(m, "r", ".2f"), _cell(m, "r_speech", ".2f"), _cell(m, "lag", "+.0f"),
                     _cell(m, "lmd", ".4f"),
                     _cell(m, "closed", ".0f", 100.0) + " %", _cell(m, "std_ratio", ".2f"),
                     _cell(m, "head_ratio", ".2f")]
            lines.append(f"| {src} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)
