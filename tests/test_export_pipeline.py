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


def _pictures_written(monkeypatch: pytest.MonkeyPatch) -> list[np.ndarray]:
    """Every picture an export hands its H.264 encoder from now on, in order, as
    ``(H * 3 / 2, W) uint8`` YUV 4:2:0 planes. What the pipeline makes is compared here,
    not the file's bytes: x264's threaded encoder does not always write the same bytes
    for the same pictures (2 of 2055 exports of the test below on an idle 2-core
    machine, 48 of 6074 with other work beside them; every picture hashed the same;
    docs/measurements.md)."""
    import av

    from engine.media.mp4 import Mp4Writer

    seen: list[np.ndarray] = []
    write = Mp4Writer.write

    def recording(self: Mp4Writer, frame: np.ndarray | av.VideoFrame) -> None:
        seen.append(frame.to_ndarray(format="yuv420p") if isinstance(frame, av.VideoFrame)
                    else np.array(frame))
        write(self, frame)

    monkeypatch.setattr(Mp4Writer, "write", recording)
    return seen


def _first_difference(a: list[np.ndarray], b: list[np.ndarray]) -> str:
    """Where two exports' pictures first differ: which, how far apart and where."""
    if len(a) != len(b):
        return f"{len(a)} pictures against {len(b)}"
    for n, (x, y) in enumerate(zip(a, b, strict=True)):
        if x.shape != y.shape:
            return f"picture {n} is {x.shape} against {y.shape}"
        if not np.array_equal(x, y):
            d = np.abs(x.astype(np.int16) - y)
            ys, xs = np.nonzero(d)
            return (f"picture {n} differs by up to {d.max()} at {len(ys)} samples, rows "
                    f"{ys.min()}-{ys.max()}, columns {xs.min()}-{xs.max()}")
    return "the same pictures"


def test_overlapped_export_makes_the_same_pictures_as_the_serial_one(
    grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two render threads share the watermarker (per-thread scratch buffers) and the
    # renderer's memo; any race would change pixels.
    export = engine.export  # the function, bound before the module is looked up
    export_module = sys.modules["engine.export"]
    portrait = engine.analyse_portrait(engine.load_image(ROOT / "assets/samples/astronaut.png"))
    audio = engine.analyse_audio(engine.load_audio(grid / "s1" / "audio" / "bbaf3s.flac"))
    anim = engine.Animation(portrait, audio, engine.Settings(motion_source="phonetic"))
    output = engine.OutputOptions(size=384, end=1.6)
    with monkeypatch.context() as m:
        m.setattr(export_module, "PIPELINE_WORKERS", 3)
        overlapped = _pictures_written(m)
        export(anim, tmp_path / "a.mp4", output)
    with monkeypatch.context() as m:
        m.setattr(export_module, "PIPELINE_DEPTH", 0)
        serial = _pictures_written(m)
        export(anim, tmp_path / "b.mp4", output)
    assert len(serial) == 40
    assert _first_difference(overlapped, serial) == "the same pictures"


def test_converting_only_the_face_box_makes_the_same_pictures(
    grid: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each H.264 picture is the portrait's, converted once, with the face's box converted
    again: the picture a conversion of the whole frame gives, byte for byte, with and
    without the watermark, on a transparent portrait flattened onto its background too."""
    from engine.media.mp4 import Mp4Writer

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
        with monkeypatch.context() as m:
            boxed = _pictures_written(m)
            engine.export(anim, tmp_path / "a.mp4", output, watermark=mark)
        with monkeypatch.context() as m:
            m.setattr(Mp4Writer, "convert_changed",
                      lambda self, frame, still, box: whole(self, frame))
            full = _pictures_written(m)
            engine.export(anim, tmp_path / "b.mp4", output, watermark=mark)
        assert len(full) == 30
        assert _first_difference(boxed, full) == "the same pictures", image.name


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
