"""The same training run on any machine: data-parallel processes (gloo, whatever the
machine has), pinned CPU kernels, and face tracking that does not depend on OpenCV's
thread count (real GRID clips)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT, TINY_NET

torch = pytest.importorskip("torch")


@pytest.mark.skipif(not hasattr(torch, "distributed") or not torch.distributed.is_available(),
                    reason="torch.distributed is not available")
def test_two_process_gloo_training(tiny_data, tmp_path):
    out = tmp_path / "ddp"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
           "--master_port=29517", "-m", "cli.model_commands", "train", "--data",
           str(tiny_data), "--out", str(out), "--steps", "2", "--threads", "1",
           "--set", "batch=2", "--set", "length=16", "--set", "held_out=1",
           "--set", f"net={__import__('json').dumps(dict(TINY_NET, k=6))}"]
    r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-3000:]
    import json

    res = json.loads((out / "result.json").read_text())
    assert res["world_size"] == 2 and res["ranks_in_sync"] is True
    assert shutil.which(sys.executable)


def test_process_group_is_gloo_where_a_gpu_is_present(monkeypatch):
    """The networks train on CPU tensors, which NCCL cannot carry: on a machine with a
    GPU the process group must still be gloo (with NCCL two ranks failed at their first
    broadcast on an NVIDIA H200, 2026-12-04). The process group itself is stubbed: this
    machine has no GPU to start NCCL on."""
    from engine.model.train import distributed

    chosen = []
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: False)
    monkeypatch.setattr(torch.distributed, "init_process_group", chosen.append)
    monkeypatch.setattr(torch.distributed, "get_rank", lambda: 1)
    assert distributed.rank_and_world() == (1, 2)
    assert chosen == ["gloo"]


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="the kernels are pinned on x86-64 only")
def test_training_pins_torch_cpu_kernels_to_avx2():
    """Training and export run the AVX2 kernels whatever the CPU (a value set by the
    user wins), so that make model gives the same weights on any machine."""
    code = ("from cli.model_commands import pin_cpu_kernels; pin_cpu_kernels(); import os, "
            "torch; print(torch.backends.cpu.get_cpu_capability(), os.environ['MKL_CBWR'], "
            "os.environ['ONEDNN_MAX_CPU_ISA'])")
    env = {k: v for k, v in os.environ.items()
           if k not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "ONEDNN_MAX_CPU_ISA")}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split() == ["AVX2", "AVX2", "AVX2"]
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env=dict(env, ATEN_CPU_CAPABILITY="default"), timeout=120)
    assert r.stdout.split()[0] == "DEFAULT"


def test_tracking_does_not_depend_on_opencv_threads(grid):
    """The prepare-data cache must be the same whoever fills it: GRID s1 bbaz5s's first
    frame moved by 0.06 px with OpenCV's default thread count against one thread."""
    import av
    import cv2

    from engine.model.data import track_frames, track_video

    video = grid / "s1" / "video" / "bbaz5s.mp4"
    threads = cv2.getNumThreads()
    try:
        cv2.setNumThreads(1)
        with av.open(str(video)) as c:
            first = [next(c.decode(c.streams.video[0])).to_ndarray(format="rgb24")]
        one, _ = track_frames(first)
        cv2.setNumThreads(4)
        lm, _, _, _ = track_video(video)
        assert cv2.getNumThreads() == 4  # restored
    finally:
        cv2.setNumThreads(threads)
    assert np.array_equal(lm[0], one[0])
