"""The constants stored with the ONNX generator (numpy only).

They live in the ONNX model's ``metadata_props`` under the key ``"talkie"``, as
one JSON object. Arrays are stored exactly, as base64 of their little-endian
bytes: ``{"__array__": true, "dtype": "float32", "shape": [...], "b64": "..."}``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np

KEY = "talkie"
FORMAT = "talkie-motion"
#: Fields every model must carry.
REQUIRED = ("format", "version", "fps", "sample_rate", "window_s", "hop", "n_mels", "cols",
            "basis", "mean", "noise_dim", "noise_sigma", "neutral_mean", "identity_scale",
            "canonical")


def _enc(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        a = np.ascontiguousarray(v)
        return {"__array__": True, "dtype": str(a.dtype), "shape": list(a.shape),
                "b64": base64.b64encode(a.astype(a.dtype.newbyteorder("<")).tobytes())
                .decode("ascii")}
    if isinstance(v, dict):
        return {k: _enc(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_enc(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _dec(v: Any) -> Any:
    if isinstance(v, dict):
        if v.get("__array__"):
            dt = np.dtype(v["dtype"]).newbyteorder("<")
            raw = base64.b64decode(v["b64"])
            return np.frombuffer(raw, dtype=dt).astype(v["dtype"]).reshape(v["shape"])
        return {k: _dec(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_dec(x) for x in v]
    return v


def encode(meta: dict) -> str:
    """The metadata dict as the JSON string stored in the model."""
    return json.dumps(_enc(meta), separators=(",", ":"))


def decode(text: str) -> dict:
    """Inverse of :func:`encode`. Raises ``ValueError`` on malformed text or missing fields."""
    try:
        meta = _dec(json.loads(text))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed model metadata ({exc})") from exc
    if not isinstance(meta, dict):
        raise ValueError("malformed model metadata")
    missing = [k for k in REQUIRED if k not in meta]
    if missing:
        raise ValueError(f"model metadata lacks {', '.join(missing)}")
    if meta["format"] != FORMAT:
        raise ValueError(f"not a Talkie motion model (format {meta['format']!r})")
    return meta
