"""Convert MediaPipe's face models to ONNX and extract the face mesh.

Run once, in a throwaway venv that has ``mediapipe==0.10.21``, ``tf2onnx``,
``tensorflow-cpu`` and ``onnx`` (the app itself needs none of them)::

    /work/convenv/bin/python tools/convert_face_models.py

It writes, under ``assets/models/``:

- ``face_detection_short_range.onnx``: BlazeFace short range, input
  ``(1, 128, 128, 3) float32`` in [-1, 1], outputs ``(1, 896, 16)`` box and
  keypoint regressors and ``(1, 896, 1)`` score logits.
- ``face_detection_full_range.onnx``: BlazeFace full range (sparse), input
  ``(1, 192, 192, 3)``, outputs ``(1, 2304, 16)`` and ``(1, 2304, 1)``.
- ``face_landmark.onnx``: the 468-point face mesh, input
  ``(1, 192, 192, 3) float32`` in [0, 1], outputs ``(1, 1, 1, 1404)``
  landmarks in input pixels and ``(1, 1, 1, 1)`` face-presence logit.
- ``face_mesh.npz``: ``canonical (468, 3) float32`` (the canonical face
  model, centimetres, x to the subject's left, y up), ``triangles (852, 3)
  int32`` and ``edges (E, 2) int32`` (the FaceMesh tessellation).
- ``LICENSE-mediapipe.txt``: the Apache-2.0 notice and provenance.

The ``.tflite`` files and the tessellation come from the installed
mediapipe wheel. The wheel does not ship the canonical face model, so its
vertices are read from ``tools/data/canonical_face_model.obj`` (a verbatim
copy of the ``v`` lines of MediaPipe's
``mediapipe/modules/face_geometry/data/canonical_face_model.obj``).

Each converted model is checked against TensorFlow Lite on random input
when onnxruntime is importable in this venv.
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import importlib.util
import logging
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger("convert_face_models")

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "models"
CANONICAL_OBJ = ROOT / "tools" / "data" / "canonical_face_model.obj"
MEDIAPIPE_VERSION = "0.10.21"
OPSET = 13
REQUIRED = {"face_detection_short_range.onnx", "face_landmark.onnx"}

# (path inside the wheel, output name)
MODELS = [
    ("modules/face_detection/face_detection_short_range.tflite", "face_detection_short_range.onnx"),
    ("modules/face_landmark/face_landmark.tflite", "face_landmark.onnx"),
    (
        "modules/face_detection/face_detection_full_range_sparse.tflite",
        "face_detection_full_range.onnx",
    ),
]


def mediapipe_dir() -> Path:
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or spec.origin is None:
        sys.exit("mediapipe is not installed in this venv")
    version = importlib.metadata.version("mediapipe")
    if version != MEDIAPIPE_VERSION:
        log.warning(
            "mediapipe %s found; these assets were made from %s", version, MEDIAPIPE_VERSION
        )
    return Path(spec.origin).parent


def convert(tflite: Path, out: Path) -> None:
    """Convert one .tflite file to ONNX with tf2onnx and check it."""
    import onnx
    import tf2onnx

    with tempfile.TemporaryDirectory() as tmp:
        tmp_out = Path(tmp) / out.name
        tf2onnx.convert.from_tflite(str(tflite), opset=OPSET, output_path=str(tmp_out))
        model = onnx.load(str(tmp_out))
        onnx.checker.check_model(model)
        model.producer_name = f"tf2onnx (converted from MediaPipe {MEDIAPIPE_VERSION})"
        model.doc_string = (
            f"Converted from mediapipe/{tflite.name} of mediapipe=={MEDIAPIPE_VERSION}. Apache-2.0."
        )
        onnx.save(model, str(tmp_out))
        shutil.move(str(tmp_out), out)
    log.info("wrote %s (%.2f MB)", out, out.stat().st_size / 1e6)


def check_parity(tflite: Path, onnx_path: Path) -> float:
    """Max abs difference between TFLite and onnxruntime outputs on random input."""
    try:
        import onnxruntime as ort
    except ImportError:
        log.warning("onnxruntime not installed here: skipping the parity check")
        return float("nan")
    import tensorflow as tf

    interp = tf.lite.Interpreter(model_path=str(tflite))
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, size=tuple(inp["shape"])).astype(np.float32)
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    ref = {d["name"]: interp.get_tensor(d["index"]) for d in interp.get_output_details()}
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: x})
    worst = 0.0
    for o, g in zip(sess.get_outputs(), got, strict=True):
        r = ref.get(o.name)
        if r is None:  # tf2onnx may rename outputs: match by shape
            r = next(v for v in ref.values() if v.shape == g.shape)
        worst = max(worst, float(np.max(np.abs(r - g))))
    log.info("%s: max |tflite - onnx| = %.2e", onnx_path.name, worst)
    return worst


def tessellation(mp_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """Triangles and edges of the FaceMesh tessellation.

    ``FACEMESH_TESSELATION`` in ``face_mesh_connections.py`` lists the three
    edges of each triangle of the canonical face model in turn; the frozenset
    loses that order, so the source text is parsed instead.
    """
    src = (mp_dir / "python" / "solutions" / "face_mesh_connections.py").read_text()
    tree = ast.parse(src)
    pairs: list[tuple[int, int]] | None = None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and getattr(node.targets[0], "id", "") == "FACEMESH_TESSELATION"
        ):
            call = node.value
            assert isinstance(call, ast.Call)
            pairs = [tuple(ast.literal_eval(e)) for e in call.args[0].elts]  # type: ignore[attr-defined,misc]
    if pairs is None or len(pairs) % 3:
        sys.exit("could not parse FACEMESH_TESSELATION")
    tris = []
    for i in range(0, len(pairs), 3):
        (a, b), (b2, c), (c2, a2) = pairs[i : i + 3]
        if not (b == b2 and c == c2 and a == a2):
            sys.exit(f"tessellation edges {i}..{i + 2} do not form a triangle")
        tris.append((a, b, c))
    triangles = np.array(tris, dtype=np.int32)
    edges = np.unique(np.sort(np.array(pairs, dtype=np.int32), axis=1), axis=0)
    return triangles, edges


def canonical_vertices(obj: Path) -> np.ndarray:
    rows = [
        [float(t) for t in line.split()[1:4]]
        for line in obj.read_text().splitlines()
        if line.startswith("v ")
    ]
    v = np.array(rows, dtype=np.float32)
    if v.shape != (468, 3):
        sys.exit(f"{obj}: expected 468 vertices, found {len(v)}")
    # The model is exactly mirror-symmetric: a cheap check that no digit is off.
    mirrored = v * np.array([-1.0, 1.0, 1.0], dtype=np.float32)
    gap = np.min(np.linalg.norm(v[:, None] - mirrored[None], axis=2), axis=1).max()
    if gap > 1e-5:
        sys.exit(f"{obj}: the vertices are not mirror-symmetric (gap {gap})")
    return v


def check_mesh(canonical: np.ndarray, triangles: np.ndarray, edges: np.ndarray) -> None:
    if not (800 <= len(triangles) <= 900):
        sys.exit(f"unexpected triangle count {len(triangles)}")
    if set(np.unique(triangles).tolist()) != set(range(468)):
        sys.exit("the triangles do not use all 468 vertices")
    # Consistent orientation and a manifold with boundary: each undirected
    # edge in at most two triangles.
    und = np.sort(
        np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]]), axis=1
    )
    _, counts = np.unique(und, axis=0, return_counts=True)
    if counts.max() > 2:
        sys.exit("an edge is shared by more than two triangles")
    p = canonical[:, :2]
    a, b, c = p[triangles[:, 0]], p[triangles[:, 1]], p[triangles[:, 2]]
    area = 0.5 * (
        (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    )
    log.info(
        "mesh: %d vertices, %d triangles, %d edges, boundary edges %d, "
        "frontal area %.1f cm^2 (%d/%d ccw)",
        len(canonical),
        len(triangles),
        len(edges),
        int((counts == 1).sum()),
        float(np.abs(area).sum()),
        int((area > 0).sum()),
        len(area),
    )


LICENSE_TEXT = """\
MediaPipe face models
=====================

The files below were derived from MediaPipe (https://github.com/google-ai-edge/mediapipe),
Copyright The MediaPipe Authors, licensed under the Apache License, Version 2.0.

{models}  face_mesh.npz                    "canonical": the vertices of
                                   mediapipe/modules/face_geometry/data/canonical_face_model.obj;
                                   "triangles"/"edges": FACEMESH_TESSELATION of
                                   mediapipe/python/solutions/face_mesh_connections.py

The .tflite files and face_mesh_connections.py were taken from the
mediapipe=={version} wheel on PyPI. The canonical face model is not in the
wheel; its vertices were copied verbatim from the MediaPipe source repository
(kept as tools/data/canonical_face_model.obj). The models were converted from TFLite to
ONNX format (weights unchanged apart from fp16 -> fp32 de-quantisation); no
other modification was made. The conversion script is tools/convert_face_models.py.

Licensed under the Apache License, Version 2.0 (the "License"); you may not
use these files except in compliance with the License. You may obtain a copy
of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
License for the specific language governing permissions and limitations under
the License.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=OUT, help="output folder (default assets/models)"
    )
    parser.add_argument("--canonical-obj", type=Path, default=CANONICAL_OBJ)
    parser.add_argument(
        "--skip-models", action="store_true", help="only write face_mesh.npz and the licence"
    )
    parser.add_argument("--one", nargs=2, metavar=("TFLITE", "ONNX"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.one:
        src, dst = Path(args.one[0]), Path(args.one[1])
        convert(src, dst)
        worst = check_parity(src, dst)
        if worst > 1e-2:
            log.error("%s: ONNX output differs from TFLite by %s", dst.name, worst)
            return 1
        return 0

    mp_dir = mediapipe_dir()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.skip_models:
        for rel, name in MODELS:
            src = mp_dir / rel
            dst = args.out / name
            # A child process per model: tf2onnx can crash outright (segfault)
            # on an unsupported TFLite op, and that should not stop the rest.
            code = subprocess.call([sys.executable, __file__, "--one", str(src), str(dst)])
            if code != 0:
                dst.unlink(missing_ok=True)
                if name in REQUIRED:
                    sys.exit(f"{name}: conversion failed (exit {code})")
                log.warning("%s: conversion failed (exit %d); skipped (optional)", name, code)

    canonical = canonical_vertices(args.canonical_obj)
    triangles, edges = tessellation(mp_dir)
    check_mesh(canonical, triangles, edges)
    np.savez_compressed(
        args.out / "face_mesh.npz", canonical=canonical, triangles=triangles, edges=edges
    )
    log.info("wrote %s", args.out / "face_mesh.npz")
    models = "".join(
        f"  {name:<32} converted with tf2onnx (opset {OPSET}) from\n  {'':<32} mediapipe/{rel}\n"
        for rel, name in MODELS
        if (args.out / name).is_file()
    )
    (args.out / "LICENSE-mediapipe.txt").write_text(
        LICENSE_TEXT.format(models=models, version=MEDIAPIPE_VERSION)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
