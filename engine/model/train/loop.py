"""Training of the motion GAN: one generator, three discriminators, L1 on mouth and jaw.

``train(data, out, cfg)`` trains from a prepare-data cache into a run folder:

- ``split.json``: the clips of each split (train, held-out s1, s4hq);
- ``normalisers.npz``: the PCA basis and scales fitted on the training clips;
- ``log.csv``: one row per logged step (losses) and per validation run;
- ``ckpt_last.pt`` (every ``ckpt_every`` steps, atomically) and ``ckpt_final.pt``.

Run it again with the same ``out`` and it resumes from ``ckpt_last.pt``.

Several processes: ``torchrun --nproc_per_node=N -m cli.model_commands train ...``
runs data-parallel training with ``torch.distributed`` (gloo; the networks train on the CPU):
each rank draws its own batches, gradients are averaged with ``all_reduce`` after
every backward pass, and rank 0 alone writes logs and checkpoints. The effective
batch is ``N x batch``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engine.model import dataset as ds
from engine.model.landmarks import MOUTH
from engine.model.train.batches import Batcher
from engine.model.train.distributed import average_grads, broadcast, rank_and_world, shutdown
from engine.model.train.nets import FrameD, Generator, NetConfig, SequenceD, SyncD
from engine.model.train.validation import validate

log = logging.getLogger(__name__)

VERSION = 1


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    steps: int = 3000
    minutes: float | None = None
    batch: int = 16
    length: int = 64
    sync_positions: int = 4
    lr_g: float = 2e-4
    lr_d: float = 1e-4
    w_frame: float = 1.0
    w_seq: float = 0.2
    w_sync: float = 0.8
    w_l1: float = 1500.0
    w_pose: float = 0.2
    noise_sigma: float = 0.33
    vtln: tuple[float, float] = (0.85, 1.2)
    phone_noise: float = 0.15
    id_jitter: float = 1.5
    level_aug: bool = True
    any_frame_neutral: float = 0.5
    tempo: float = 0.15
    held_out: int = 50
    #: speakers trained on beside s1, each with the number of its clips held out, and
    #: the share of the crops drawn from them. Off: s4hq (a second face and voice, 40 of
    #: her clips at 25 % of the crops, four seeds) did not help the unseen speakers
    #: (docs/model.md, 2026-12-03). The validation speakers are never trained on.
    extra_speakers: dict = field(default_factory=dict)
    extra_share: float = 0.25
    #: measure the extra speakers' motion from their rest face with the lips closed (the
    #: app's rest estimate), as the app articulates it: s4hq rests with her lips apart,
    #: so from her own rest face her speech opens the mouth less than s1's does
    close_extra_rest: bool = True
    #: from this step on, both learning rates fall linearly to 0 at ``steps`` (None: constant)
    lr_decay_from: int | None = None
    val_every: int = 250
    log_every: int = 25
    ckpt_every: int = 250
    threads: int = 2
    net: dict = field(default_factory=dict)

    def replace(self, **kw) -> TrainConfig:
        return dataclasses.replace(self, **kw)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class Bundle:
    """Generator, discriminators, optimisers and the constants that go with them."""

    def __init__(self, cfg: TrainConfig, norm: ds.Normalisers) -> None:
        self.cfg = cfg
        self.net = NetConfig(**{**cfg.net, "k": len(norm.basis)})
        self.norm = norm
        self.g = Generator(self.net)
        self.g.set_identity_reference(norm.neutral_mean)
        self.d_frame = FrameD(self.net)
        self.d_seq = SequenceD(self.net)
        self.d_sync = SyncD(self.net)
        self.opt_g = torch.optim.Adam(self.g.parameters(), lr=cfg.lr_g, betas=(0.5, 0.999))
        d_params = (list(self.d_frame.parameters()) + list(self.d_seq.parameters())
                    + list(self.d_sync.parameters()))
        self.opt_d = torch.optim.Adam(d_params, lr=cfg.lr_d, betas=(0.5, 0.999))
        b = torch.from_numpy(norm.basis.reshape(len(norm.basis), 468, 3))
        self.basis_mj = b[:, ds.MOUTH_JAW_IDX].reshape(len(norm.basis), -1)
        self.basis_mouth = b[:, list(MOUTH), :2].reshape(len(norm.basis), -1)
        self.mean_mj = torch.from_numpy(norm.mean[ds.MOUTH_JAW_IDX]).reshape(-1)
        self.mean_mouth = torch.from_numpy(norm.mean[list(MOUTH), :2]).reshape(-1)
        self.std = torch.from_numpy(norm.coeff_std)

    def modules(self):
        return [self.g, self.d_frame, self.d_seq, self.d_sync]

    def state(self) -> dict:
        return {"g": self.g.state_dict(), "d_frame": self.d_frame.state_dict(),
                "d_seq": self.d_seq.state_dict(), "d_sync": self.d_sync.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict()}

    def load(self, st: dict) -> None:
        for k in ("g", "d_frame", "d_seq", "d_sync", "opt_g", "opt_d"):
            getattr(self, k).load_state_dict(st[k])

    def mj_landmarks(self, coeffs: torch.Tensor) -> torch.Tensor:
        """Normalised coeffs ``(B,T,K)`` -> mouth/jaw displacement ``(B,T,P,3)``."""
        x = (coeffs * self.std) @ self.basis_mj + self.mean_mj
        return x.reshape(*coeffs.shape[:2], -1, 3)

    def mouth_xy(self, coeffs: torch.Tensor) -> torch.Tensor:
        """Normalised coeffs ``(B,T,K)`` -> mouth x/y displacement ``(B,T,P,2)`` x10."""
        x = (coeffs * self.std) @ self.basis_mouth + self.mean_mouth
        return 10.0 * x.reshape(*coeffs.shape[:2], -1, 2)


def _snippets(x: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """``x (B,T,P,2)``, ``centres (B,N)`` -> ``(B,N,5,P,2)`` frames c-2..c+2."""
    b = torch.arange(x.shape[0])[:, None, None]
    idx = centres[:, :, None] + torch.arange(-2, 3)[None, None, :]
    return x[b, idx]


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def train_step(bundle: Bundle, batch: dict, gen: torch.Generator, world: int = 1) -> dict:
    """One step of D then G. Returns the losses as floats."""
    cfg = bundle.cfg
    b, t = batch["coeffs"].shape[:2]
    noise = torch.randn(b, t, bundle.net.noise_dim, generator=gen) * cfg.noise_sigma
    n = cfg.sync_positions
    centres = torch.randint(2, t - 2, (b, n), generator=gen)
    off = torch.randint(5, max(t - 4, 6), (b, n), generator=gen)
    shifted = (centres - 2 + off) % (t - 4) + 2
    bi = torch.arange(b)[:, None]
    audio_c = batch["audio"][bi, centres]                       # (B,N,C,M)
    real_mouth = bundle.mouth_xy(batch["coeffs"])
    use = {"frame": cfg.w_frame > 0, "seq": cfg.w_seq > 0, "sync": cfg.w_sync > 0}

    coeffs_g, pose_g = bundle.g(batch["audio"], batch["identity"], noise, batch["eyelids"])

    # ---- discriminators
    d_loss = torch.zeros(())
    out: dict[str, float] = {}
    if any(use.values()):
        cg, pg = coeffs_g.detach(), pose_g.detach()
        if use["frame"]:
            lf = (_bce(bundle.d_frame(batch["coeffs"], batch["identity"]), 1.0)
                  + _bce(bundle.d_frame(cg, batch["identity"]), 0.0))
            d_loss = d_loss + lf
            out["d_frame"] = float(lf.detach())
        if use["seq"]:
            ls = (_bce(bundle.d_seq(batch["coeffs"], batch["pose"], batch["eyelids"]), 1.0)
                  + _bce(bundle.d_seq(cg, pg, batch["eyelids"]), 0.0))
            d_loss = d_loss + ls
            out["d_seq"] = float(ls.detach())
        if use["sync"]:
            real_s = _snippets(real_mouth, centres)
            shift_s = _snippets(real_mouth, shifted)
            fake_s = _snippets(bundle.mouth_xy(cg), centres)
            ea = bundle.d_sync.embed_audio(audio_c)
            lsy = (_bce(bundle.d_sync.score(ea, real_s), 1.0)
                   + 0.5 * _bce(bundle.d_sync.score(ea, shift_s), 0.0)
                   + 0.5 * _bce(bundle.d_sync.score(ea, fake_s), 0.0))
            d_loss = d_loss + lsy
            out["d_sync"] = float(lsy.detach())
        bundle.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        average_grads([p for g in bundle.opt_d.param_groups for p in g["params"]], world)
        bundle.opt_d.step()

    # ---- generator
    l1 = (bundle.mj_landmarks(coeffs_g) - batch["mj"]).abs().mean()
    lpose = (pose_g - batch["pose"].clamp(-3, 3)).abs().mean()
    g_loss = cfg.w_l1 * l1 + cfg.w_pose * lpose
    if use["frame"]:
        ga = _bce(bundle.d_frame(coeffs_g, batch["identity"]), 1.0)
        g_loss = g_loss + cfg.w_frame * ga
        out["g_frame"] = float(ga.detach())
    if use["seq"]:
        ga = _bce(bundle.d_seq(coeffs_g, pose_g, batch["eyelids"]), 1.0)
        g_loss = g_loss + cfg.w_seq * ga
        out["g_seq"] = float(ga.detach())
    if use["sync"]:
        with torch.no_grad():
            ea = bundle.d_sync.embed_audio(audio_c)
        ga = _bce(bundle.d_sync.score(ea, _snippets(bundle.mouth_xy(coeffs_g), centres)), 1.0)
        g_loss = g_loss + cfg.w_sync * ga
        out["g_sync"] = float(ga.detach())
    bundle.opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    average_grads(list(bundle.g.parameters()), world)
    bundle.opt_g.step()
    out.update(l1=float(l1.detach()), pose=float(lpose.detach()), g_total=float(g_loss.detach()))
    return out


# ----------------------------------------------------------------------------- driver
def set_learning_rates(bundle: Bundle, cfg: TrainConfig, step: int) -> None:
    """Constant rates, or a linear fall to 0 at ``cfg.steps`` from ``cfg.lr_decay_from``."""
    scale = 1.0
    if cfg.lr_decay_from is not None and step >= cfg.lr_decay_from:
        scale = max(cfg.steps - step, 0) / max(cfg.steps - cfg.lr_decay_from, 1)
    for opt, lr in ((bundle.opt_g, cfg.lr_g), (bundle.opt_d, cfg.lr_d)):
        for group in opt.param_groups:
            group["lr"] = lr * scale


def _save(path: Path, obj: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def load_data(data: Path, out: Path, cfg: TrainConfig) -> tuple[dict, list, list, list]:
    split_path = out / "split.json"
    if split_path.is_file():
        split = json.loads(split_path.read_text())
    else:
        split = ds.split_clips(data, held_out=cfg.held_out, seed=cfg.seed,
                               extra=cfg.extra_speakers)
    memo = Path(data) / "_memo"
    train = ds.load_clips([Path(p) for p in split["train"]], memo / f"train_{cfg.seed}.pkl")
    val = ds.load_clips([Path(p) for p in split["val_s1"]], memo / f"val_{cfg.seed}.pkl")
    # s4hq: her held-out clips where she is trained on, all of them (older runs) where not
    s4 = split.get("val_s4hq", split.get("s4hq", []))
    other = ds.load_clips([Path(p) for p in s4], memo / f"s4hq_{cfg.seed}.pkl")
    extra = set(cfg.extra_speakers)
    if extra and cfg.close_extra_rest:
        train = [ds.with_closed_rest(c) if c.speaker in extra else c for c in train]
        other = [ds.with_closed_rest(c) if c.speaker in extra else c for c in other]
    return split, train, val, other


def train(data: Path | str, out: Path | str, cfg: TrainConfig | None = None,
          progress=None) -> dict:
    """Train (or resume) into ``out``. Returns the final validation figures."""
    cfg = cfg or TrainConfig()
    data, out = Path(data), Path(out)
    rank, world = rank_and_world()
    torch.set_num_threads(max(1, cfg.threads))
    torch.manual_seed(cfg.seed + rank)
    out.mkdir(parents=True, exist_ok=True)
    split, train_clips, val_clips, s4_clips = load_data(data, out, cfg)
    if not train_clips:
        from engine.errors import InputError
        raise InputError(f"No training clips were found in {data}. Run prepare-data first.")
    norm_path = out / "normalisers.npz"
    if norm_path.is_file():
        with np.load(norm_path) as z:
            norm = ds.Normalisers(**{k: z[k] for k in z.files})
    else:
        norm = ds.fit_normalisers(train_clips, k=int(cfg.net.get("k", 20)))
        if rank == 0:
            np.savez(norm_path, **{k: getattr(norm, k) for k in
                                   ("mean", "basis", "coeff_std", "pose_std", "neutral_mean")})
            ds.save_split(split, out / "split.json")
            (out / "config.json").write_text(json.dumps(cfg.to_dict(), indent=1))
    bundle = Bundle(cfg, norm)
    step = 0
    elapsed_before = 0.0
    ckpt = out / "ckpt_last.pt"
    rng = np.random.default_rng([cfg.seed, rank])
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + rank)
    if ckpt.is_file():
        st = torch.load(ckpt, map_location="cpu", weights_only=False)
        bundle.load(st)
        step = int(st["step"])
        elapsed_before = float(st.get("elapsed", 0.0))
        if st.get("rng") is not None and rank == 0:
            rng.bit_generator.state = st["rng"]
            gen.set_state(st["torch_gen"])
        log.info("resumed from step %d", step)
    broadcast(bundle.modules(), world)
    batcher = Batcher(train_clips, norm, cfg, rng)
    log_path = out / "log.csv"
    fields = ["step", "kind", "seconds", "l1", "pose", "g_total", "g_frame", "g_seq", "g_sync",
              "d_frame", "d_seq", "d_sync", "val_s1_r", "val_s1_lmd", "s4hq_r", "s4hq_lmd"]
    new_log = not log_path.is_file()
    fh = open(log_path, "a", newline="") if rank == 0 else None
    writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore") if fh else None
    if writer and new_log:
        writer.writeheader()
    t_start = time.perf_counter()
    acc: dict[str, list] = {}
    result: dict = {}

    def elapsed() -> float:
        return elapsed_before + time.perf_counter() - t_start

    def run_val() -> dict:
        v1 = validate(bundle.g, val_clips, norm, bundle.net.noise_dim, cfg.noise_sigma)
        v2 = validate(bundle.g, s4_clips, norm, bundle.net.noise_dim, cfg.noise_sigma) \
            if s4_clips else {"r": float("nan"), "lmd": float("nan")}
        row = {"step": step, "kind": "val", "seconds": round(elapsed(), 1),
               "val_s1_r": round(v1["r"], 4), "val_s1_lmd": round(v1["lmd"], 5),
               "s4hq_r": round(v2["r"], 4), "s4hq_lmd": round(v2["lmd"], 5)}
        if writer and fh:
            writer.writerow(row)
            fh.flush()
        log.info("step %d validation: s1 r %.3f lmd %.4f | s4hq r %.3f lmd %.4f", step,
                 v1["r"], v1["lmd"], v2["r"], v2["lmd"])
        return row

    def save(path: Path) -> None:
        if rank != 0:
            return
        st = bundle.state()
        st.update(step=step, elapsed=elapsed(), config=cfg.to_dict(), net=bundle.net.to_dict(),
                  normalisers=norm.to_dict(), version=VERSION, rng=rng.bit_generator.state,
                  torch_gen=gen.get_state())
        _save(path, st)

    try:
        while step < cfg.steps:
            stop = cfg.minutes is not None and elapsed() >= cfg.minutes * 60
            if world > 1 and cfg.minutes is not None:  # every rank stops at the same step
                flag = torch.tensor([1.0 if stop else 0.0])
                torch.distributed.broadcast(flag, 0)
                stop = bool(flag.item() > 0)
            if stop:
                log.info("time budget of %.1f min reached at step %d", cfg.minutes, step)
                break
            set_learning_rates(bundle, cfg, step)
            batch = batcher.sample()
            losses = train_step(bundle, batch, gen, world)
            step += 1
            for k, v in losses.items():
                acc.setdefault(k, []).append(v)
            if step % cfg.log_every == 0 or step == cfg.steps:
                row = {k: round(float(np.mean(v)), 5) for k, v in acc.items()}
                acc = {}
                el = elapsed()
                rate = el / max(step, 1)
                left = (cfg.steps - step) * rate
                if cfg.minutes is not None:
                    left = min(left, cfg.minutes * 60 - el)
                msg = (f"step {step}/{cfg.steps} " + " ".join(f"{k} {v:.4g}" for k, v in
                                                              row.items())
                       + f" | {el / 60:.1f} min, ETA {max(left, 0) / 60:.1f} min")
                if rank == 0:
                    if progress:
                        progress(step, cfg.steps, msg)
                    else:
                        log.info("%s", msg)
                    if writer:
                        writer.writerow({"step": step, "kind": "train",
                                         "seconds": round(el, 1), **row})
                        if fh:
                            fh.flush()
            if rank == 0 and step % cfg.val_every == 0:
                result = run_val()
            if step % cfg.ckpt_every == 0:
                save(ckpt)
        save(ckpt)
        in_sync = True
        if world > 1:
            flat = torch.cat([p.detach().reshape(-1) for p in bundle.g.parameters()])
            lo, hi = flat.sum().clone(), flat.sum().clone()
            torch.distributed.all_reduce(lo, op=torch.distributed.ReduceOp.MIN)
            torch.distributed.all_reduce(hi, op=torch.distributed.ReduceOp.MAX)
            in_sync = bool(torch.isclose(lo, hi, rtol=0, atol=1e-5))
            log.info("rank %d/%d: generator weights %s across ranks", rank, world,
                     "identical" if in_sync else "DIFFER")
        if rank == 0:
            result = run_val()
            result["world_size"] = world
            result["ranks_in_sync"] = in_sync
            save(out / "ckpt_final.pt")
            result["wall_seconds"] = round(elapsed(), 1)
            (out / "result.json").write_text(json.dumps(result, indent=1))
        shutdown(world)
    finally:
        if fh:
            fh.close()
    return result
