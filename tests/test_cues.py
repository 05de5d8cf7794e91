"""Mouth cues: real GRID speech -> Rhubarb .tsv/.json/.xml and Moho .dat, checked
against the published layouts (Rhubarb Lip Sync's documentation and exporters,
Papagayo-NG's MOHO exporter)."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import engine
from engine.audio.align_text import TextAlignmentError, align_phones, dialogue_words
from engine.cues import PRESTON_BLAIR, cue_phones, mouth_cues, render_cues
from tests.conftest import ROOT

RHUBARB = set("ABCDEFGHX")
CLIP = "bbaf2n"  # "bin blue at f two now"


def transcript(grid: Path, clip: str) -> tuple[str, list[tuple[float, float, str]]]:
    """The clip's words and their GRID alignment (seconds)."""
    rows = []
    for line in (grid / "s1" / "align" / f"{clip}.align").read_text().split("\n"):
        if line.strip():
            a, b, w = line.split()
            rows.append((int(a) / 25000, int(b) / 25000, w))
    return " ".join(w for _, _, w in rows if w != "sil"), rows


@pytest.fixture(scope="module")
def speech(grid: Path) -> engine.Audio:
    return engine.load_audio(grid / "s1" / "audio" / f"{CLIP}.flac")


def test_dialogue_text_aligns_words_where_grid_has_them(grid: Path, speech: engine.Audio) -> None:
    text, rows = transcript(grid, CLIP)
    phones = align_phones(speech.samples, text)
    assert phones[0].start == 0 and phones[-1].end == pytest.approx(speech.duration)
    speech_phones = [p for p in phones if p.label != "sil"]
    # The first and last sounds sit within 60 ms of GRID's own word alignment.
    words = [r for r in rows if r[2] != "sil"]
    assert speech_phones[0].start == pytest.approx(words[0][0], abs=0.06)
    assert speech_phones[-1].end == pytest.approx(words[-1][1], abs=0.06)
    # "bin" and "blue" both start with a lip closure: two A cues, in order, in "bin blue".
    cues = mouth_cues(phones, speech.duration)
    closures = [c for c in cues if c.shape == "A" and c.start < words[1][1]]
    assert len(closures) == 2
    assert closures[0].start == pytest.approx(words[0][0], abs=0.06)


def test_unknown_words_fall_back_to_recognition(speech: engine.Audio) -> None:
    with pytest.raises(TextAlignmentError, match="zorblax"):
        align_phones(speech.samples, "bin zorblax at f two now")
    phones, warning = cue_phones(speech.samples, "bin zorblax at f two now")
    assert warning is not None and "not used" in warning
    assert any(p.label != "sil" for p in phones)
    assert dialogue_words("It\u2019s F-two, now!") == ["it's", "f", "two", "now"]


def parse_tsv(text: str) -> list[tuple[float, str]]:
    rows = []
    for line in text.splitlines():
        t, shape = line.split("\t")
        assert t == f"{float(t):.2f}"
        rows.append((float(t), shape))
    return rows


def test_rhubarb_files_follow_the_published_layouts(speech: engine.Audio, tmp_path: Path) -> None:
    phones = engine.analyse_audio(speech).phones
    dur = speech.duration
    tsv = parse_tsv(render_cues("tsv", phones, dur, speech.path))
    times = [t for t, _ in tsv]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert tsv[0] == (0.0, "X") and tsv[-1] == (round(dur, 2), "X")
    assert {s for _, s in tsv} <= RHUBARB and {"A", "X"} <= {s for _, s in tsv}

    doc = json.loads(render_cues("json", phones, dur, speech.path))
    assert set(doc) == {"metadata", "mouthCues"}
    assert doc["metadata"]["soundFile"] == str(Path(speech.path).resolve())
    assert doc["metadata"]["duration"] == round(dur, 2)
    cues = doc["mouthCues"]
    assert [set(c) for c in cues] == [{"start", "end", "value"}] * len(cues)
    assert all(a["end"] == b["start"] for a, b in zip(cues, cues[1:], strict=False))
    assert [(c["start"], c["value"]) for c in cues] == tsv[:-1]

    root = ET.fromstring(render_cues("xml", phones, dur, speech.path).encode())
    assert root.tag == "rhubarbResult"
    assert root.findtext("metadata/duration") == f"{dur:.2f}"
    xml_cues = [(float(e.get("start")), float(e.get("end")), e.text)  # type: ignore[arg-type]
                for e in root.findall("mouthCues/mouthCue")]
    assert xml_cues == [(c["start"], c["end"], c["value"]) for c in cues]


def test_without_extended_shapes_b_c_and_a_stand_in(speech: engine.Audio) -> None:
    text, _ = transcript(ROOT.parent / "shared" / "data" / "grid", CLIP)
    phones = align_phones(speech.samples, text)
    full = {s for _, s in parse_tsv(render_cues("tsv", phones, speech.duration, "a.wav"))}
    assert {"G", "H", "X"} <= full  # "f" is G, the "l" of blue is H, pauses are X
    basic = parse_tsv(render_cues("tsv", phones, speech.duration, "a.wav", extended=""))
    assert {s for _, s in basic} <= set("ABCDEF")
    assert basic[0][1] == "A" and basic[-1][1] == "A"


@pytest.mark.parametrize("fps", [12, 24, 30])
def test_moho_dat_counts_frames_from_one_with_preston_blair_names(
    speech: engine.Audio, fps: int
) -> None:
    text, _ = transcript(ROOT.parent / "shared" / "data" / "grid", CLIP)
    phones = align_phones(speech.samples, text)
    lines = render_cues("dat", phones, speech.duration, speech.path, fps=fps).splitlines()
    assert lines[0] == "MohoSwitch1"
    rows = [(int(f), name) for f, name in (ln.split(" ") for ln in lines[1:])]
    frames = [f for f, _ in rows]
    assert frames[0] == 1 and frames == sorted(frames) and len(set(frames)) == len(frames)
    assert {n for _, n in rows} <= set(PRESTON_BLAIR)
    assert rows[-1] == (1 + round(speech.duration * fps), "rest")
    assert "MBP" in {n for _, n in rows} and "FV" in {n for _, n in rows}
    assert "WQ" not in {n for _, n in rows}  # no W in "bin blue at f two now"


def test_cues_command_writes_every_format_from_one_analysis(
    grid: Path, tmp_path: Path
) -> None:
    audio = grid / "s1" / "audio" / f"{CLIP}.flac"
    outs = [tmp_path / f"cues.{ext}" for ext in ("tsv", "json", "xml", "dat")]
    args = [sys.executable, str(ROOT / "main.py"), "cues", str(audio), "--fps", "25",
            "--text", transcript(grid, CLIP)[0]]
    for o in outs:
        args += ["-o", str(o)]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert all(o.is_file() for o in outs)
    assert outs[3].read_text().startswith("MohoSwitch1\n1 rest\n")
    bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "cues", str(audio),
                          "-o", str(tmp_path / "cues.txt")], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "cues.txt").exists()


def test_a_failed_phone_pass_keeps_the_aligned_words(grid: Path) -> None:
    # On brif6p pocketsphinx finds the words but not the phones inside them; the
    # words' times are kept and their dictionary phones share each word's span.
    text, rows = transcript(grid, "brif6p")
    audio = engine.load_audio(grid / "s1" / "audio" / "brif6p.flac")
    phones = align_phones(audio.samples, text)
    labels = [p.label for p in phones if p.label != "sil"]
    assert labels[:3] == ["b", "ih", "n"] and labels[-3:] == ["l", "iy", "z"]
    words = [r for r in rows if r[2] != "sil"]
    first = next(p for p in phones if p.label != "sil")
    assert first.start == pytest.approx(words[0][0], abs=0.08)
