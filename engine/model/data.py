"""Data preparation for the speech model: talking-face clips -> one ``.npz`` per clip.

``prepare(src, out)`` walks ``src`` for videos (``*.mp4``; audio from the
sibling ``audio/<stem>.flac`` when it exists, else from the video itself) and
writes ``out/<speaker>/<stem>.npz`` with:

- ``landmarks (T, 468, 3) float32``: the engine's MediaPipe face mesh in
  pixels, tracked frame to frame (the region of interest of frame ``i`` comes
  from the landmarks of frame ``i - 1``, as MediaPipe does; the detector runs
  only on the first frame or when the face is lost);
- ``presence (T,) float32``: the mesh's face-presence probability;
- ``mel (M, 40) float32``: log-mel (dB) at a 10 ms hop (:mod:`engine.model.features`);
- ``f0``, ``aper (M,) float32``: pitch (Hz, 0 unvoiced) and aperiodicity at the same hop
  (:func:`engine.audio.pitch.yin`);
- ``phone_labels (P,) str``, ``phone_times (P, 2) float32``: pocketsphinx's phones
  (:func:`engine.audio.phones.recognise_phones`, the recogniser the app runs), seconds;
- ``loudness (T,) float32``: dB per frame of the sound (:func:`engine.audio.features.loudness`);
- ``silence (T,) bool``: frames inside the ``sil`` of a GRID ``.align`` file when one
  exists, else frames 35 dB below the clip's loudest;
- ``fps``, ``size`` (W, H);
- ``picture_delay () float32``: seconds from the sound's first sample to the first frame
  (:func:`engine.media.video.picture_delay`; CREMA-D's clips 0.033, GRID's 0). The
  landmarks are per decoded frame, the loudness and silence per frame of the sound's
  clock; :func:`engine.model.dataset.load_clip` puts the landmarks on the sound's.

Alignment to the canonical frame, pose and expression are computed from these
at training time (:mod:`engine.model.dataset`), which is fast and keeps the
slow part (the face mesh) independent of those choices. Work runs in
``workers`` processes, one thread each, and is resumable: finished clips
(complete ``.npz``, written atomically) are skipped; clips cached before the
speech analysis was added get it added, landmarks kept.
"""

from __future__ import annotations

import logging
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from engine.errors import ModelError

log = logging.getLogger(__name__)

LANDMARK_SIZE = 192
ROI_SCALE = 1.5
MIN_PRESENCE = 0.5

_SESSION = None


def _landmark_session():
    global _SESSION
    if _SESSION is None:
        import onnxruntime as ort

        from engine.paths import asset

        path = asset("models", "face_landmark.onnx")
        if not path.is_file():
            raise ModelError(f"The face model {path.name} is missing from assets/models.")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        _SESSION = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return _SESSION


def _roi_from_landmarks(lm: np.ndarray) -> tuple[float, float, float, float]:
    """``(cx, cy, size, angle)``: MediaPipe's landmarks-to-ROI (eye line level, 1.5x, square)."""
    d = lm[263, :2] - lm[33, :2]
    ang = math.atan2(float(d[1]), float(d[0]))
    ca, sa = math.cos(-ang), math.sin(-ang)
    p = lm[:, :2]
    rot = np.array([[ca, -sa], [sa, ca]])
    q = p @ rot.T
    lo, hi = q.min(0), q.max(0)
    cq = 0.5 * (lo + hi)
    c = rot.T @ cq
    size = float(max(hi - lo)) * ROI_SCALE
    return float(c[0]), float(c[1]), size, ang


def _crop_matrix(cx: float, cy: float, size: float, ang: float) -> np.ndarray:
    """2x3 affine mapping crop pixels (192 square) to image pixels."""
    s = size / LANDMARK_SIZE
    a = s * np.array([[math.cos(ang), -math.sin(ang)], [math.sin(ang), math.cos(ang)]])
    b = np.array([cx, cy]) - a @ np.array([LANDMARK_SIZE / 2, LANDMARK_SIZE / 2])
    return np.concatenate([a, b[:, None]], 1)


def landmarks_in_roi(rgb: np.ndarray, roi: tuple[float, float, float, float]
                     ) -> tuple[np.ndarray, float]:
    """Run the face mesh on one region: ``((468, 3) float32 px, presence 0..1)``."""
    import cv2

    m = _crop_matrix(*roi)
    crop = cv2.warpAffine(rgb, m, (LANDMARK_SIZE, LANDMARK_SIZE),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT)
    x = (crop.astype(np.float32) / 255.0)[None]
    sess = _landmark_session()
    out = sess.run(None, {sess.get_inputs()[0].name: x})
    pts = np.asarray(out[0], np.float32).reshape(468, 3)
    score = 1.0 / (1.0 + math.exp(-float(np.asarray(out[1]).reshape(-1)[0])))
    xy = pts[:, :2] @ m[:, :2].T + m[:, 2]
    z = pts[:, 2:3] * (roi[2] / LANDMARK_SIZE)
    return np.concatenate([xy, z], 1).astype(np.float32), score


def _initial_landmarks(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """First frame: the engine's detector when it is available, else a centred search."""
    try:
        from engine.face import detect_faces  # type: ignore[attr-defined]

        faces = detect_faces(rgb)
        if faces:
            lm = np.asarray(faces[0].landmarks, np.float32)
            # refine until the region settles where frame-to-frame tracking keeps it
            for _ in range(4):
                lm, score = landmarks_in_roi(rgb, _roi_from_landmarks(lm))
            return lm, score
    except ImportError:
        pass
    except Exception as exc:  # the detector is optional here; fall back to search
        log.debug("detector failed (%s); searching", exc)
    h, w = rgb.shape[:2]
    best: tuple[np.ndarray, float] | None = None
    for fy in (0.45, 0.35, 0.55):
        for fs in (0.6, 0.8, 0.45):
            roi = (w / 2, h * fy, min(h, w) * fs, 0.0)
            for _ in range(5):
                lm, score = landmarks_in_roi(rgb, roi)
                roi = _roi_from_landmarks(lm)
            if best is None or score > best[1]:
                best = (lm, score)
            if score > 0.9:
                return best
    assert best is not None
    return best


def track_frames(frames) -> tuple[np.ndarray, np.ndarray]:
    """Landmarks of a sequence of ``(H, W, 3) uint8`` RGB frames, tracked frame to frame:
    ``(landmarks (T, 468, 3) float32 px, presence (T,) float32)``."""
    lms: list[np.ndarray] = []
    pres: list[float] = []
    prev: np.ndarray | None = None
    for rgb in frames:
        if prev is None:
            lm, score = _initial_landmarks(rgb)
        else:
            lm, score = landmarks_in_roi(rgb, _roi_from_landmarks(prev))
            if score < MIN_PRESENCE:
                lm2, score2 = _initial_landmarks(rgb)
                if score2 > score:
                    lm, score = lm2, score2
        lms.append(lm)
        pres.append(score)
        prev = lm if score >= MIN_PRESENCE else prev
    return np.stack(lms), np.asarray(pres, np.float32)


def track_video(path: Path | str) -> tuple[np.ndarray, np.ndarray, float, tuple[int, int]]:
    """Landmarks of every frame: ``(landmarks (T,468,3), presence (T,), fps, (W, H))``.

    Runs OpenCV on one thread: its result on some frames depends on the thread count
    (GRID s1 bbaz5s moved by 0.06 px), and the cache, hence the trained model, must not
    depend on who filled it (a prepare-data worker, which runs one thread, or an
    evaluation tool in a process with the default).
    """
    import av
    import cv2

    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            fps = float(stream.average_rate or 25)
            size = (stream.codec_context.width, stream.codec_context.height)
            lm, pres = track_frames(f.to_ndarray(format="rgb24")
                                    for f in container.decode(stream))
    finally:
        cv2.setNumThreads(threads)
    return lm, pres, fps, size


def read_align(path: Path, frames: int, fps: float) -> np.ndarray | None:
    """``(T,) bool`` silence from a GRID ``.align`` (times in 1/25000 s), or ``None``."""
    if not path.is_file():
        return None
    sil = np.zeros(frames, bool)
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in ("sil", "sp"):
            a, b = int(parts[0]) / 25000.0, int(parts[1]) / 25000.0
            i0 = int(math.ceil(a * fps - 0.5))
            i1 = int(math.floor(b * fps - 0.5))
            sil[max(i0, 0): max(min(i1 + 1, frames), 0)] = True
    return sil


def loudness_silence(loud: np.ndarray, below_db: float = 35.0) -> np.ndarray:
    """``(T,) bool`` frames quieter than the clip's loudest (95th percentile) by ``below_db``."""
    if len(loud) == 0:
        return np.zeros(0, bool)
    return loud < float(np.percentile(loud, 95)) - below_db


def find_audio(video: Path) -> Path:
    """The clip's audio: ``../audio/<stem>.flac`` beside a ``video/`` folder, else the video."""
    cand = video.parent.parent / "audio" / (video.stem + ".flac")
    return cand if cand.is_file() else video


def audio_analysis(samples: np.ndarray) -> dict[str, np.ndarray]:
    """The speech side of a clip: ``mel (M, 40)`` dB, ``f0``/``aper`` (M,) (pitch, YIN),
    and pocketsphinx's phones as ``phone_labels (P,) str`` and ``phone_times (P, 2)`` s."""
    from engine.audio.phones import recognise_phones
    from engine.audio.pitch import yin
    from engine.model import features

    f0, aper = yin(samples)
    phones = recognise_phones(samples)
    return {"audio_version": np.asarray(AUDIO_VERSION, np.int32),
            "mel": features.mel_spectrogram(samples), "f0": f0, "aper": aper,
            "phone_labels": np.asarray([p.label for p in phones], dtype="<U8"),
            "phone_times": np.asarray([[p.start, p.end] for p in phones], np.float32)
            .reshape(-1, 2)}


#: Keys every cached clip holds (older caches lack the speech analysis; see :func:`upgrade_clip`).
AUDIO_KEYS = ("mel", "f0", "aper", "phone_labels", "phone_times")
#: Bump when :func:`audio_analysis` computes anything differently: cached clips of another
#: version get their speech analysis again (landmarks kept). 2: YIN at 8 kHz.
AUDIO_VERSION = 2


def _save_npz(out: Path, arrays: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.stem + f".tmp{os.getpid()}.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, out)


def prepare_clip(video: Path, out: Path) -> dict:
    """Extract one clip into ``out`` (atomic). Returns a summary dict."""
    from engine.audio.features import loudness
    from engine.media.audio import load_audio

    t0 = time.perf_counter()
    lm, pres, fps, size = track_video(video)
    t_n = lm.shape[0]
    samples = load_audio(find_audio(video)).samples
    loud = loudness(samples, fps)
    if len(loud) < t_n:
        loud = np.concatenate([loud, np.full(t_n - len(loud), loud.min() if len(loud) else
                                             -100.0, np.float32)])
    loud = loud[:t_n].astype(np.float32)
    sil = read_align(video.parent.parent / "align" / (video.stem + ".align"), t_n, fps)
    if sil is None:
        sil = loudness_silence(loud)
    _save_npz(out, {"landmarks": lm.astype(np.float32), "presence": pres, "loudness": loud,
                    "silence": sil, "fps": np.float32(fps), "size": np.asarray(size, np.int32),
                    "picture_delay": _picture_delay(video), **audio_analysis(samples)})
    return {"clip": video.stem, "frames": t_n, "seconds": time.perf_counter() - t0,
            "min_presence": float(pres.min()) if t_n else 0.0}


def _picture_delay(video: Path) -> np.ndarray:
    from engine.media.video import picture_delay

    return np.asarray(picture_delay(video, find_audio(video)), np.float32)


def upgrade_clip(video: Path, out: Path) -> dict:
    """Bring a clip cached by an older version up to date, landmarks kept: the speech
    analysis where it is missing or of another :data:`AUDIO_VERSION`, the picture's
    delay where it is missing."""
    from engine.media.audio import load_audio

    t0 = time.perf_counter()
    with np.load(out) as d:
        arrays = {k: d[k] for k in d.files}
    if _stale_audio(arrays):
        arrays.update(audio_analysis(load_audio(find_audio(video)).samples))
    if "picture_delay" not in arrays:
        arrays["picture_delay"] = _picture_delay(video)
    _save_npz(out, arrays)
    return {"clip": video.stem, "frames": int(len(arrays["landmarks"])),
            "seconds": time.perf_counter() - t0, "min_presence": float(arrays["presence"].min())}


def _stale_audio(arrays) -> bool:
    """Whether ``arrays`` (a cached clip's mapping) lack this version's speech analysis."""
    return "audio_version" not in arrays or int(arrays["audio_version"]) != AUDIO_VERSION


def needs_upgrade(path: Path) -> bool:
    """Whether a cached clip's speech analysis is missing or of another :data:`AUDIO_VERSION`,
    or its picture's delay is missing."""
    try:
        with np.load(path) as d:
            return _stale_audio(d) or "picture_delay" not in d
    except (OSError, ValueError):
        return False


def _worker_init() -> None:
    try:
        os.nice(0)
    except OSError:
        pass
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import cv2

    cv2.setNumThreads(1)


def bring_up_to_date(video: Path, out: Path) -> dict | None:
    """Prepare ``video`` into ``out`` when it is not cached, bring an older cached clip up
    to date (:func:`upgrade_clip`); ``None`` when the cached clip is current."""
    if not out.is_file():
        return prepare_clip(video, out)
    return upgrade_clip(video, out) if needs_upgrade(out) else None


def _job(video: str, out: str) -> dict:
    try:
        # only clips that need work are sent here; another process may have done it since
        return bring_up_to_date(Path(video), Path(out)) or {"clip": Path(video).stem,
                                                           "seconds": 0.0}
    except Exception as exc:  # report and carry on with the other clips
        return {"clip": Path(video).stem, "error": f"{type(exc).__name__}: {exc}"}


def list_videos(src: Path) -> list[Path]:
    """Every ``*.mp4`` under ``src``, sorted."""
    return sorted(p for p in Path(src).rglob("*.mp4") if p.is_file())


def cache_path(video: Path, src: Path, out: Path) -> Path:
    """``out/<speaker>/<stem>.npz`` where speaker is the folder above ``video/``."""
    speaker = video.parent.parent.name if video.parent.name == "video" else video.parent.name
    return Path(out) / speaker / (video.stem + ".npz")


def prepare(src: Path | str, out: Path | str, workers: int = 2, limit: int | None = None,
            progress=None) -> dict:
    """Prepare every clip under ``src`` into ``out`` (resumable, parallel).

    Args:
        src: a folder of clips (e.g. ``../shared/data/grid`` or ``.../grid/s1``).
        out: the cache folder.
        workers: processes (one thread each).
        limit: at most this many clips per speaker folder (in sorted order), for a quick run.
        progress: ``progress(done, total, message)`` or ``None`` to log.

    Returns:
        ``{"done", "skipped", "failed", "seconds", "clip_seconds"}``.
    """
    src, out = Path(src), Path(out)
    videos = list_videos(src)
    if limit is not None:
        by: dict[str, list[Path]] = {}
        for v in videos:
            by.setdefault(str(cache_path(v, src, out).parent), []).append(v)
        videos = [v for vs in by.values() for v in vs[:limit]]
    todo = [v for v in videos if not cache_path(v, src, out).is_file()
            or needs_upgrade(cache_path(v, src, out))]
    skipped = len(videos) - len(todo)
    t0 = time.perf_counter()
    done = failed = 0
    clip_seconds = 0.0
    log.info("prepare-data: %d clips, %d already done, %d to do", len(videos), skipped, len(todo))
    with ProcessPoolExecutor(max_workers=max(1, workers), initializer=_worker_init) as ex:
        futs = [ex.submit(_job, str(v), str(cache_path(v, src, out))) for v in todo]
        for f in as_completed(futs):
            r = f.result()
            if "error" in r:
                failed += 1
                log.warning("clip %s failed: %s", r["clip"], r["error"])
            else:
                done += 1
                clip_seconds += r["seconds"]
            n = done + failed
            el = time.perf_counter() - t0
            eta = el / n * (len(todo) - n) if n else 0.0
            msg = f"{n}/{len(todo)} clips, {el:.0f} s elapsed, ETA {eta:.0f} s"
            if progress is not None:
                progress(n, len(todo), msg)
            elif n % 25 == 0 or n == len(todo):
                log.info(msg)
    return {"done": done, "skipped": skipped, "failed": failed,
            "seconds": time.perf_counter() - t0, "clip_seconds": clip_seconds}
