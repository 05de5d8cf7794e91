"""Data-parallel training helpers (``torch.distributed`` with gloo).

Each rank draws its own batches; gradients are averaged with ``all_reduce`` after
every backward pass, and rank 0's initial weights are broadcast to the others.

The networks train on the CPU (small models; ``make model`` pins the CPU kernels so
that a run can be repeated), so the process group is gloo on every machine. Until
2026-12-04 it was NCCL wherever CUDA was present, and on a GPU machine (an NVIDIA
H200) two ranks failed at their first broadcast: "No backend type associated with
device type cpu".
"""

from __future__ import annotations

import os

import torch


def rank_and_world() -> tuple[int, int]:
    ws = int(os.environ.get("WORLD_SIZE", "1"))
    if ws > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("gloo")
    if ws > 1:
        return torch.distributed.get_rank(), ws
    return 0, 1


def average_grads(params, world: int) -> None:
    if world <= 1:
        return
    for p in params:
        if p.grad is not None:
            torch.distributed.all_reduce(p.grad, op=torch.distributed.ReduceOp.SUM)
            p.grad /= world


def broadcast(modules, world: int) -> None:
    if world <= 1:
        return
    for m in modules:
        for t in list(m.parameters()) + list(m.buffers()):
            torch.distributed.broadcast(t.data, 0)


def shutdown(world: int) -> None:
    """Leave the process group once every rank is done (rank 0 validates after the last
    step; the others wait for it). A rank that exits with gloo's threads still alive can
    abort at exit ("terminate called without an active exception", seen once in a
    two-process test run)."""
    if world > 1 and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
