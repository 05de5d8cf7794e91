"""One table of limits for the engine, the command line and the studio; projects checked on load."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import engine
from engine.errors import ProjectError
from engine.settings import LIMITS, OutputOptions, Settings, check_number


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_every_limit_refuses_nan_inf_and_out_of_range(name: str) -> None:
    limit = LIMITS[name]
    for bad in (math.nan, -math.inf, limit.lo - 1, limit.hi * 2 + 1, "x", None):
        if bad == limit.hi * 2 + 1 and math.isinf(limit.hi):
            continue
        with pytest.raises(engine.SettingsError) as err:
            check_number(name, bad)
        assert err.value.field == name and limit.label in err.value.message
    assert check_number(name, limit.lo) == limit.lo


def test_settings_and_output_validate_each_field() -> None:
    assert Settings().validate() == Settings()
    with pytest.raises(engine.SettingsError, match="Blink length"):
        Settings(blink_duration=0.05).validate()      # the engine's own minimum is 0.06
    with pytest.raises(engine.SettingsError, match="Liveliness"):
        Settings(liveliness=5.0).validate()            # the CLI used to allow 0..5
    with pytest.raises(engine.SettingsError, match="Breath"):
        Settings(breath=-0.1).validate()
    with pytest.raises(engine.SettingsError, match="Frame rate"):
        Settings(fps=23).validate()
    with pytest.raises(engine.SettingsError, match="End must come after the start"):
        OutputOptions(start=2.0, end=1.0).validate()
    with pytest.raises(engine.SettingsError, match="before the end of the voice track"):
        OutputOptions(start=9.0).validate(duration=8.9)
    with pytest.raises(engine.SettingsError, match="Background"):
        OutputOptions(background=(300, 0, 0)).validate()


def test_the_direction_holds_no_output_choice() -> None:
    """Exporting at another size must never rebuild the motion: size, quality and the
    stretch are not part of the direction."""
    direction = {f for f in Settings().to_dict()}
    assert not direction & {"size", "crf", "start", "end", "background"}
    assert {"liveliness", "keep_expression"} <= direction


def _project_file(tmp_path: Path, **changes: object) -> Path:
    data = engine.Project().to_dict()
    data.update(changes)
    path = tmp_path / "p.talkie"
    path.write_text(json.dumps(data))
    return path


def test_a_project_out_of_range_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = _project_file(tmp_path, settings={**Settings().to_dict(), "blink_rate": 1e9})
    with pytest.raises(ProjectError, match="Blink rate"):
        engine.Project.load(path)
    path = _project_file(tmp_path, output={"size": -3})
    with pytest.raises(ProjectError, match="Size"):
        engine.Project.load(path)


def test_an_older_project_opens_with_its_output_and_head_motion(tmp_path: Path) -> None:
    old = {"format": "talkie-project", "format_version": 1, "portrait": None, "audio": None,
           "settings": {"fps": 30, "size": 512, "crf": 23, "start": 1.0, "end": 2.0,
                        "head_motion": 0.4, "seed": 3},
           "blinks": None, "face_index": 0, "face_points": None, "keyframes": {}}
    path = tmp_path / "old.talkie"
    path.write_text(json.dumps(old))
    p = engine.Project.load(path)
    # saved before *Breath* existed: its lips stay still before a phrase, as they did then
    assert p.settings == Settings(fps=30, seed=3, liveliness=0.4, breath=0.0)
    assert p.output == OutputOptions(size=512, crf=23, start=1.0, end=2.0)
    assert Settings().breath > 0  # a new project breathes a little


def test_a_broken_project_says_why(tmp_path: Path) -> None:
    path = tmp_path / "cut.talkie"
    text = json.dumps(engine.Project().to_dict(), indent=2)
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ProjectError, match=r"not valid JSON \(.* line \d+, column \d+"):
        engine.Project.load(path)
    with pytest.raises(ProjectError, match="is a folder"):
        engine.Project.load(tmp_path)
