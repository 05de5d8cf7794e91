"""The speech-driven motion GAN: shapes, a training step, ONNX parity, resume, metadata,
a missing or damaged model, and the evaluation's measures (data-parallel training and
the rest of what makes a run the same on any machine: test_model_runs_anywhere.py).

Real data: three GRID clips are prepared with the engine's own face models.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine.errors import ModelError  # noqa: E402
from tests.conftest import TINY_NET  # noqa: E402


def _tiny_cfg(**kw):
    from engine.model.train.loop import TrainConfig

    base = dict(batch=3, length=24, sync_positions=2, held_out=1, val_every=1000,
                log_every=1, ckpt_every=2, threads=1, net=dict(TINY_NET, k=6), steps=4)
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture(scope="module")
def tiny_run(tiny_data, tmp_path_factory) -> Path:
    from engine.model.train.loop import train

    out = tmp_path_factory.mktemp("run")
    train(tiny_data, out, _tiny_cfg())
    return out


@pytest.fixture(scope="module")
def tiny_onnx(tiny_run, tmp_path_factory) -> tuple[Path, dict]:
    from engine.model.train.export import export_onnx

    path = tmp_path_factory.mktemp("onnx") / "m.onnx"
    return path, export_onnx(tiny_run, path)


def test_prepared_clip_is_complete(tiny_data):
    from engine.model.dataset import load_clip

    c = load_clip(next((tiny_data / "s1").glob("*.npz")))
    assert c.canon.shape == (c.frames, 468, 3) and c.frames >= 70
    assert c.valid.all()
    iod = np.linalg.norm(c.canon[:, 33, :2] - c.canon[:, 263, :2], axis=1)
    np.testing.assert_allclose(iod, 1.0, atol=1e-4)
    assert c.silence[:5].all() and not c.silence.all()  # GRID clips start in silence
    assert c.opening[~c.silence].mean() > c.opening[c.silence].mean()
    from engine.model import features

    assert c.audio.shape[1:] == (20, features.CHANNELS)
    # pocketsphinx heard speech where GRID's alignment says there is speech
    speech_cols = c.phones[:, 0] < 0.5
    frame_cols = (np.arange(c.frames)[~c.silence] + 0.5) / c.fps * 100
    assert speech_cols[frame_cols.astype(int).clip(0, len(speech_cols) - 1)].mean() > 0.7
    assert (c.f0 > 0).mean() > 0.1  # voiced speech has a pitch


def test_forward_shapes_of_generator_and_discriminators():
    from engine.model.train.nets import FrameD, Generator, NetConfig, SequenceD, SyncD

    cfg = NetConfig(k=7, **TINY_NET)
    b, t = 2, 11
    audio = torch.randn(b, t, cfg.cols, cfg.channels)
    ident = torch.randn(b, 468 * 3)
    coeffs, pose = Generator(cfg)(audio, ident, torch.randn(b, t, cfg.noise_dim),
                                  torch.rand(b, t, 1))
    assert coeffs.shape == (b, t, 7) and pose.shape == (b, t, 6)
    assert FrameD(cfg)(coeffs, ident).shape == (b, t)
    assert SequenceD(cfg)(coeffs, pose, torch.rand(b, t, 1)).shape == (b,)
    n = 3
    logits = SyncD(cfg)(torch.randn(b, n, cfg.cols, cfg.channels),
                        torch.randn(b, n, 5, cfg.mouth_points, 2))
    assert logits.shape == (b, n)


def test_one_training_step_reduces_l1(tiny_data):
    from engine.model import dataset as ds
    from engine.model.train.batches import Batcher
    from engine.model.train.loop import Bundle, train_step

    torch.manual_seed(0)
    clips = [ds.load_clip(p) for p in sorted((tiny_data / "s1").glob("*.npz"))]
    norm = ds.fit_normalisers(clips, k=6)
    cfg = _tiny_cfg(lr_g=1e-3)
    bundle = Bundle(cfg, norm)
    batch = Batcher(clips, norm, cfg, np.random.default_rng(0)).sample()
    gen = torch.Generator().manual_seed(0)

    def l1() -> float:
        with torch.no_grad():
            noise = torch.zeros(cfg.batch, cfg.length, bundle.net.noise_dim)
            c, _ = bundle.g(batch["audio"], batch["identity"], noise, batch["eyelids"])
            return float((bundle.mj_landmarks(c) - batch["mj"]).abs().mean())

    before = l1()
    losses = train_step(bundle, batch, gen)
    assert {"l1", "d_frame", "d_seq", "d_sync", "g_sync"} <= set(losses)
    assert l1() < before


def test_learning_rates_constant_or_falling_to_zero(tiny_data):
    from engine.model import dataset as ds
    from engine.model.train.loop import Bundle, set_learning_rates

    clips = [ds.load_clip(p) for p in sorted((tiny_data / "s1").glob("*.npz"))]
    norm = ds.fit_normalisers(clips, k=6)

    def rates(cfg, step: int) -> tuple[float, float]:
        bundle = Bundle(cfg, norm)
        set_learning_rates(bundle, cfg, step)
        return bundle.opt_g.param_groups[0]["lr"], bundle.opt_d.param_groups[0]["lr"]

    constant = _tiny_cfg(steps=100)
    assert rates(constant, 99) == (constant.lr_g, constant.lr_d)
    falling = _tiny_cfg(steps=100, lr_decay_from=60)
    assert rates(falling, 59) == (falling.lr_g, falling.lr_d)
    g, d = rates(falling, 80)
    assert g == pytest.approx(falling.lr_g / 2) and d == pytest.approx(falling.lr_d / 2)
    assert rates(falling, 100) == (0.0, 0.0)


def test_extra_training_speaker_is_split_and_sampled_at_its_share(tiny_data):
    """An extra training speaker (off by default) gets its own held-out clips and its
    share of the crops; without one, s4hq is listed whole for the training log."""
    from engine.model import dataset as ds
    from engine.model.train.batches import Batcher

    plain = ds.split_clips(tiny_data, held_out=1)
    assert len(plain["train"]) == 2 and len(plain["val_s1"]) == 1 and len(plain["s4hq"]) == 1
    assert not any("s4hq" in p for p in plain["train"])
    two = ds.split_clips(tiny_data, held_out=1, extra={"s4hq": 0})
    assert "s4hq" not in two and two["val_s4hq"] == []
    assert sum("s4hq" in p for p in two["train"]) == 1
    clips = [ds.load_clip(Path(p)) for p in two["train"]]
    norm = ds.fit_normalisers(clips, k=6)
    batcher = Batcher(clips, norm, _tiny_cfg(extra_speakers={"s4hq": 0}, extra_share=0.25),
                      np.random.default_rng(0))
    picks = [clips[batcher._pick()].speaker for _ in range(2000)]
    assert 0.21 < picks.count("s4hq") / len(picks) < 0.29


def test_closed_rest_keeps_the_motion_and_closes_the_lips(tiny_data):
    """An extra speaker's motion is measured from her rest face with the lips closed: the
    face in every frame is unchanged, the rest's inner lips meet (s4hq rests with them
    apart)."""
    from engine.model import dataset as ds
    from engine.model.landmarks import mouth_opening

    c = ds.load_clip(next((tiny_data / "s4hq").glob("*.npz")))
    d = ds.with_closed_rest(c)
    assert mouth_opening(d.neutral[None])[0] < 0.015 < mouth_opening(c.neutral[None])[0]
    keep = np.setdiff1d(np.arange(468), list(ds.EYELID_POINTS))
    np.testing.assert_allclose((d.neutral + d.expr)[:, keep], (c.neutral + c.expr)[:, keep],
                               atol=1e-5)


def test_onnx_matches_torch(tiny_onnx):
    _, result = tiny_onnx
    assert result["parity_max_abs"] < 1e-4


def test_export_is_byte_for_byte_reproducible(tiny_run, tiny_onnx, tmp_path):
    """Exporting the same run again gives the same file (no wall-clock time in it), so
    that ``make model`` in two fresh clones can be compared with ``cmp``."""
    from engine.model.train.export import export_onnx

    again = tmp_path / "again.onnx"
    export_onnx(tiny_run, again)
    assert again.read_bytes() == tiny_onnx[0].read_bytes()


def test_metadata_round_trip(tiny_run, tiny_onnx):
    from engine.model import metadata
    from engine.model.inference import MotionModel

    arr = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    back = metadata.decode(metadata.encode({**{k: 1 for k in metadata.REQUIRED},
                                            "format": metadata.FORMAT, "basis": arr}))
    np.testing.assert_array_equal(back["basis"], arr)
    assert back["basis"].dtype == np.float32

    path, _ = tiny_onnx
    m = MotionModel(path)
    with np.load(tiny_run / "normalisers.npz") as z:
        np.testing.assert_array_equal(m.basis, z["basis"])
        np.testing.assert_array_equal(m.meta["coeff_std"], z["coeff_std"])
    assert m.meta["fps"] == 25.0 and m.meta["sample_rate"] == 16000
    assert m.meta["window_s"] == pytest.approx(0.2) and m.meta["version"] == 1
    assert m.noise_dim == 10
    # the pause gate was fitted on the run's training clips and travels with the model
    from engine.model.pause_gate import GateParams

    assert m.meta["gate_fit"]["clips"] >= 1
    assert m.gate == GateParams.from_dict(m.meta["gate"])


def test_inference_output(tiny_onnx, grid):
    from engine.audio.phones import recognise_phones
    from engine.audio.voice import Voice
    from engine.media.audio import load_audio
    from engine.model.inference import load_model
    from engine.motion.blinks import BlinkEvent

    path, _ = tiny_onnx
    samples = load_audio(grid / "s1" / "audio" / "bbaf2n.flac").samples
    voice = Voice.analyse(samples, recognise_phones(samples))
    m = load_model(path)
    blinks = [BlinkEvent(1.0, 0.2)]
    out = m.motion(voice, 30, 90, seed=3, intensity=1.0, blinks=blinks)
    assert out.basis.shape[1:] == (468, 3) and out.coeffs.shape == (90, out.basis.shape[0])
    assert out.mouth_open.shape == (90,) and (out.mouth_open >= 0).all()
    assert out.pose.shape == (90, 6)
    again = m.motion(voice, 30, 90, seed=3, intensity=1.0, blinks=blinks)
    np.testing.assert_array_equal(again.coeffs, out.coeffs)
    other = m.motion(voice, 30, 90, seed=4, intensity=1.0, blinks=blinks)
    assert not np.array_equal(other.coeffs, out.coeffs)  # the seed drives the noise stream
    # a long track runs in chunks with context; the result is that of one piece
    from engine.model import inference

    one = m.run(voice.features(), 75, seed=1)
    old = inference.CHUNK, inference.CONTEXT
    try:
        inference.CHUNK, inference.CONTEXT = 30, 40
        chunked = m.run(voice.features(), 75, seed=1)
    finally:
        inference.CHUNK, inference.CONTEXT = old
    np.testing.assert_allclose(chunked[0], one[0], atol=1e-4)


def test_resume_after_interruption_matches_uninterrupted(tiny_data, tmp_path):
    from engine.model.train.loop import train

    class Kill(Exception):
        pass

    def killer(step, total, msg):
        if step == 3:
            raise Kill()

    cfg = _tiny_cfg(steps=4, ckpt_every=2)
    a = tmp_path / "a"
    with pytest.raises(Kill):
        train(tiny_data, a, cfg, progress=killer)
    assert (a / "ckpt_last.pt").is_file() and not (a / "ckpt_final.pt").is_file()
    train(tiny_data, a, cfg)  # resumes from step 2
    b = tmp_path / "b"
    train(tiny_data, b, cfg)
    sa = torch.load(a / "ckpt_final.pt", weights_only=False)
    sb = torch.load(b / "ckpt_final.pt", weights_only=False)
    assert sa["step"] == sb["step"] == 4
    for k in sa["g"]:
        torch.testing.assert_close(sa["g"][k], sb["g"][k], rtol=0, atol=1e-6)
    rows = (a / "log.csv").read_text().splitlines()
    assert rows[0].startswith("step,kind")


def test_missing_and_damaged_model_raise_model_error(tmp_path):
    from engine.model.inference import MotionModel
    from engine.motion.speech import speech_motion

    with pytest.raises(ModelError, match="missing"):
        MotionModel(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x01garbage" * 100)
    with pytest.raises(ModelError, match="damaged"):
        from engine.audio.voice import Voice

        speech_motion(Voice.analyse(np.zeros(16000, np.float32), []), 25, 25,
                      np.zeros((468, 3)), model=bad)


def test_foreign_onnx_is_refused(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    from engine.model.inference import MotionModel

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    p = tmp_path / "foreign.onnx"
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(p))
    with pytest.raises(ModelError, match="metadata"):
        MotionModel(p)


def test_animation_falls_back_to_phonetic_when_model_is_broken(tmp_path, monkeypatch, assets,
                                                               caplog):
    from engine.analysis import AudioAnalysis, analyse_portrait
    from engine.animation import Animation
    from engine.media.audio import load_audio
    from engine.media.image import load_image
    from engine.model import inference
    from engine.settings import Settings

    bad = tmp_path / "talkie_motion.onnx"
    bad.write_bytes(b"not a model")
    monkeypatch.setattr(inference, "default_model_path", lambda: bad)
    inference._CACHE.clear()
    portrait = analyse_portrait(load_image(assets / "samples" / "astronaut.png"))
    audio = AudioAnalysis(load_audio(assets / "samples" / "voice_grid_s1.wav"), [])
    with caplog.at_level(logging.WARNING):
        anim = Animation(portrait, audio, Settings(motion_source="gan"))
    assert anim.motion_source == "phonetic"
    assert anim.warnings and "phonetic" in anim.warnings[0]
    assert "damaged" in anim.warnings[0]
    assert anim.motion.frame_count == anim.frame_count > 0


def test_r_inside_speech_leaves_out_what_comes_before_and_after(tiny_data):
    """``r_speech`` is the opening's r between the first and the last recognised phone:
    a generated mouth that copies the real one there and does anything else around it
    scores 1 inside speech and less over the whole clip."""
    from engine.model import dataset as ds
    from engine.model.evaluation import clip_metrics

    c = ds.load_clip(next((tiny_data / "s1").glob("*.npz")))
    t = c.frames
    span = (t // 4, 3 * t // 4)
    disp = (c.canon - c.canon[0][None]).astype(np.float32)
    outside = np.r_[0:span[0], span[1]:t]
    disp[outside] = disp[outside[::-1]]  # the mouth outside speech, played backwards
    m = clip_metrics(disp, np.zeros((t, 6), np.float32), c, 0, span)
    assert m["r_speech"] > 0.999
    assert m["r"] < 0.99
    assert np.isnan(clip_metrics(disp, np.zeros((t, 6), np.float32), c, 0)["r_speech"])


def test_brow_ratio_compares_the_brows_with_the_real_ones(tiny_data):
    """``brow_ratio``: the spread of the brows' height over the eye corners, generated
    over real. The real motion replayed scores 1; with the brows and eye corners held
    where the portrait has them, 0; with their motion doubled, 2."""
    from engine.model import dataset as ds
    from engine.model.evaluation import BROWS, EYE_CORNERS, clip_metrics

    c = ds.load_clip(next((tiny_data / "s1").glob("*.npz")))
    t = c.frames
    pose = np.zeros((t, 6), np.float32)
    disp = (c.canon - c.canon[0][None]).astype(np.float32)
    assert abs(clip_metrics(disp, pose, c, 0)["brow_ratio"] - 1.0) < 1e-5
    idx = BROWS + EYE_CORNERS
    still = disp.copy()
    still[:, idx] = 0.0
    # float32 rounding: 6e-6 on one processor draw (2026-12-04), 0 on others
    assert clip_metrics(still, pose, c, 0)["brow_ratio"] < 1e-4
    twice = disp.copy()
    twice[:, idx] *= 2.0
    assert abs(clip_metrics(twice, pose, c, 0)["brow_ratio"] - 2.0) < 1e-4


def test_validation_sets_are_chosen_by_name_or_speaker_and_an_unknown_one_is_refused():
    """``evaluate-model --set`` takes a set's name or one of its speakers, any case; a name
    that is neither is refused with the names there are (it used to evaluate every set,
    silently)."""
    from engine.errors import InputError
    from engine.model.validation_set import VALIDATION, choose_sets

    assert choose_sets(["GRID s4hq"]) == {"GRID s4hq": VALIDATION["GRID s4hq"]}
    assert choose_sets(["S33"]) == {"GRID s33": ("grid", ("s33",))}
    assert choose_sets(["1001", "s30"]) == {"CREMA-D 1001": ("crema-d", ("1001",)),
                                            "GRID s30": ("grid", ("s30",))}
    with pytest.raises(InputError, match="s4hq") as err:
        choose_sets(["s1"])  # the training speaker is no validation set
    assert "'s1'" in str(err.value)
