"""The export pipeline: frames rendered ahead on worker threads, through a bounded window."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

import engine
from engine.media.prefetch import prefetch
from tests.conftest import ROOT


def test_overlapped_export_writes_the_same_bytes_as_the_serial_one(
    grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two render threads share the watermarker (per-thread scratch buffers) and the
    # renderer's memo; any race would change pixels, and so the file's bytes.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    export = engine.export  # the function, bound before the module is looked up
    export_module = sys.modules["engine.export"]
    portrait = engine.analyse_portrait(engine.load_image(ROOT / "assets/samples/astronaut.png"))
    audio = engine.analyse_audio(engine.load_audio(grid / "s1" / "audio" / "bbaf3s.flac"))
    anim = engine.Animation(portrait, audio, engine.Settings(motion_source="phonetic"))
    output = engine.OutputOptions(size=384, end=1.6)
    monkeypatch.setattr(export_module, "PIPELINE_WORKERS", 3)
    overlapped = export(anim, tmp_path / "a.mp4", output).path.read_bytes()
    monkeypatch.setattr(export_module, "PIPELINE_DEPTH", 0)
    serial = export(anim, tmp_path / "b.mp4", output).path.read_bytes()
    assert overlapped == serial


def test_converting_only_the_face_box_writes_the_same_bytes(
    grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each H.264 picture is the portrait's, converted once, with the face's box converted
    again: the file is the one a conversion of every whole frame gives, with and without
    the watermark, on a transparent portrait flattened onto its background too."""
    from engine.media.mp4 import Mp4Writer

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    rgb = engine.load_image(ROOT / "assets/samples/astronaut.png").rgb
    alpha = np.zeros(rgb.shape[:2], np.uint8)
    alpha[40:470, 60:450] = 255  # a cut-out: transparent round the edges
    cut = tmp_path / "cut.png"
    cv2.imwrite(str(cut), np.dstack([rgb[..., ::-1], alpha]))
    audio = engine.analyse_audio(engine.load_audio(grid / "s1" / "audio" / "bbaf3s.flac"))
    whole = Mp4Writer.convert
    for image, size, mark in ((ROOT / "assets/samples/astronaut.png", 390, True),
                              (cut, None, False)):
        anim = engine.Animation(engine.analyse_portrait(engine.load_image(image)), audio)
        output = engine.OutputOptions(size=size, end=1.2)
        boxed = engine.export(anim, tmp_path / "a.mp4", output, watermark=mark).path.read_bytes()
        with monkeypatch.context() as m:
            m.setattr(Mp4Writer, "convert_changed",
                      lambda self, frame, still, box: whole(self, frame))
            full = engine.export(anim, tmp_path / "b.mp4", output,
                                 watermark=mark).path.read_bytes()
        assert boxed == full, _first_difference(tmp_path / "a.mp4", tmp_path / "b.mp4", image)


def _first_difference(a: Path, b: Path, image: Path) -> str:
    """Where two files' pictures first differ (once seen in a full run, not reproduced:
    say which portrait, which frame, how far apart and where, for whoever sees it next)."""
    import av

    def pictures(path: Path) -> list[np.ndarray]:
        with av.open(str(path)) as c:
            return [f.to_ndarray(format="yuv420p").astype(np.int16) for f in c.decode(video=0)]

    for n, (x, y) in enumerate(zip(pictures(a), pictures(b), strict=False)):
        if x.shape != y.shape:
            return f"{image.name}: picture {n} is {x.shape} against {y.shape}"
        if not np.array_equal(x, y):
            ys, xs = np.nonzero(x != y)
            return (f"{image.name}: picture {n} differs by up to {np.abs(x - y).max()} at "
                    f"{len(ys)} samples, rows {ys.min()}-{ys.max()}, columns {xs.min()}-{xs.max()}")
    return f"{image.name}: the same pictures, different bytes"


def test_prefetch_overlaps_keeps_order_and_stops_with_the_consumer() -> None:
    busy = threading.Event()

    def slow(i: int) -> int:
        busy.set()
        time.sleep(0.02)
        return i * i

    t0 = time.perf_counter()
    out = []
    for v in prefetch(slow, range(20), depth=3):
        time.sleep(0.02)  # the consumer works as long as the producer
        out.append(v)
    elapsed = time.perf_counter() - t0
    assert out == [i * i for i in range(20)]
    assert elapsed < 0.7  # 20 x (20 + 20) ms would be 0.8 s one after the other

    produced = []

    def count(i: int) -> int:
        produced.append(i)
        if i == 7:
            raise ValueError("frame 7 failed")
        return i

    got = []
    with pytest.raises(ValueError, match="frame 7"):
        for v in prefetch(count, range(100), depth=2):
            got.append(v)
    assert got == list(range(7))
    assert len(produced) <= 7 + 2  # at most the window (depth 2) beyond the failure
    seen = len(produced)
    time.sleep(0.05)
    assert len(produced) == seen  # and nothing runs on after it
    assert not [t for t in threading.enumerate() if t.name.startswith("talkie-prefetch")]

    # Several workers: still in order.
    assert list(prefetch(lambda i: i + 1, range(50), depth=5, workers=3)) == list(range(1, 51))
