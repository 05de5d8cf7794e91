"""Batches: manifests, local workers, resuming, failures that stay local, and a real
local Ray cluster with two worker nodes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import pytest

from engine.batch import ManifestError, read_manifest, write_manifest
from tests.conftest import ROOT

PORTRAIT = ROOT / "assets" / "samples" / "astronaut.png"


def run_batch_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "batch", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def frames_in(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def clip(grid: Path, name: str) -> str:
    return str(grid / "s1" / "audio" / f"{name}.flac")


def test_csv_and_json_lines_give_the_same_jobs(tmp_path: Path, grid: Path) -> None:
    rows = [{"portrait": "face.png", "audio": clip(grid, "bbaf2n"), "output": "out/a.mp4",
             "size": "96", "Blink-Rate": "12", "motion": "phonetic", "watermark": "no"}]
    csv_jobs = read_manifest(write_manifest(tmp_path / "m.csv", rows))
    (tmp_path / "m.jsonl").write_text(json.dumps(
        {"portrait": "face.png", "audio": clip(grid, "bbaf2n"), "output": "out/a.mp4",
         "size": 96, "blink-rate": 12, "motion": "phonetic", "watermark": False}) + "\n")
    json_jobs = read_manifest(tmp_path / "m.jsonl")
    assert [(j.portrait, j.audio, j.output, j.options) for j in csv_jobs] == \
        [(j.portrait, j.audio, j.output, j.options) for j in json_jobs]
    job = csv_jobs[0]
    assert job.portrait == tmp_path / "face.png"  # relative to the manifest's folder
    assert job.options == {"size": 96, "blink_rate": 12.0, "motion": "phonetic",
                           "watermark": False}
    faces = read_manifest(write_manifest(tmp_path / "f.csv", [
        {"portrait": "a.png", "audio": "a.wav", "output": "a.mp4", "face": "1"},
        {"portrait": "a.png", "audio": "a.wav", "output": "b.mp4", "face": "pts/cat.json"}]))
    assert [j.options["face"] for j in faces] == ["1", str(tmp_path / "pts" / "cat.json")]


@pytest.mark.parametrize(("rows", "message"), [
    ([{"portrait": "a.png", "audio": "a.wav"}], "no output"),
    ([{"portrait": "a.png", "audio": "a.wav", "output": "a.mp4", "sise": "96"}],
     "unknown column sise"),
    ([{"portrait": "a.png", "audio": "a.wav", "output": "a.mp4"},
      {"portrait": "b.png", "audio": "b.wav", "output": "./a.mp4"}], "write the same output"),
])
def test_unusable_manifests_are_refused_before_any_work(
    tmp_path: Path, rows: list[dict[str, str]], message: str
) -> None:
    with pytest.raises(ManifestError, match=message):
        read_manifest(write_manifest(tmp_path / "m.csv", rows))


def test_a_bad_cell_fails_only_its_row(tmp_path: Path) -> None:
    jobs = read_manifest(write_manifest(tmp_path / "m.csv", [
        {"portrait": "a.png", "audio": "a.wav", "output": "a.mp4", "fps": "25", "seed": ""},
        {"portrait": "a.png", "audio": "a.wav", "output": "b.mp4", "fps": "nan", "seed": "1.5"},
    ]))
    assert jobs[0].error is None and jobs[0].options == {"fps": 25}
    assert jobs[1].error == "fps must be a whole number, not 'nan'"


def test_local_workers_resume_and_keep_going_past_a_failure(tmp_path: Path, grid: Path) -> None:
    foreign = tmp_path / "mine.mp4"
    foreign.write_bytes(b"the user's own video")
    # One video and one PNG sequence (a folder): both resume.
    good = [{"portrait": str(PORTRAIT), "audio": clip(grid, c), "output": out,
             "size": "96", "motion": "phonetic"}
            for c, out in (("bbaf2n", "bbaf2n.mp4"), ("bbaf3s", "bbaf3s"))]
    bad = [{"portrait": str(PORTRAIT), "audio": "missing.wav", "output": "x.mp4", "size": "96",
            "motion": ""},
           {"portrait": str(PORTRAIT), "audio": clip(grid, "bbaf4p"), "output": "mine.mp4",
            "size": "96", "motion": ""}]
    manifest = write_manifest(tmp_path / "jobs.csv", good + bad)
    proc = run_batch_cli(str(manifest), "--workers", "2")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "100%  2/4 done, 2 failed" in proc.stderr  # the whole batch's progress
    report = json.loads((tmp_path / "jobs.csv.report.json").read_text())
    assert report["counts"] == {"done": 2, "skipped": 0, "failed": 2, "cancelled": 0, "not run": 0}
    assert not report["ok"]
    errors = {Path(j["output"]).name: j["error"] for j in report["jobs"] if j["error"]}
    assert "does not exist" in errors["x.mp4"]
    assert "left alone" in errors["mine.mp4"]
    assert foreign.read_bytes() == b"the user's own video"
    assert frames_in(tmp_path / "bbaf2n.mp4") == 74
    assert len(list((tmp_path / "bbaf3s").glob("bbaf3s_*.png"))) == 74
    assert not list(tmp_path.glob(".*part*"))

    # Fixed manifest: the finished outputs are skipped, nothing is rendered again.
    kept = [tmp_path / "bbaf2n.mp4", tmp_path / "bbaf3s" / "bbaf3s_00001.png"]
    stamps = [p.stat().st_mtime_ns for p in kept]
    write_manifest(manifest, good)
    proc = run_batch_cli(str(manifest), "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "jobs.csv.report.json").read_text())
    assert report["counts"] == {"done": 0, "skipped": 2, "failed": 0, "cancelled": 0, "not run": 0}
    assert report["ok"]
    assert stamps == [p.stat().st_mtime_ns for p in kept]


def test_a_local_ray_cluster_with_two_worker_nodes_runs_the_batch(
    tmp_path: Path, grid: Path
) -> None:
    pytest.importorskip("ray", reason="the cluster extra (ray) is not installed")
    from ray.cluster_utils import Cluster

    rows = [{"portrait": str(PORTRAIT), "audio": clip(grid, c), "output": f"{c}.mp4",
             "size": "96", "motion": "phonetic"} for c in ("bbaf2n", "bbaf3s", "bbaf4p")]
    manifest = write_manifest(tmp_path / "jobs.csv", rows)
    store = 80 * 2**20
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "object_store_memory": store, "include_dashboard": False})
    try:
        for _ in range(2):  # two worker nodes, one CPU each; the head runs no task
            cluster.add_node(num_cpus=1, object_store_memory=store)
        cluster.wait_for_nodes()
        proc = run_batch_cli(str(manifest), "--ray", cluster.address)
    finally:
        cluster.shutdown()
    assert proc.returncode == 0, proc.stderr
    assert "3 node(s), 2 CPUs" in proc.stderr
    report = json.loads((tmp_path / "jobs.csv.report.json").read_text())
    assert report["counts"]["done"] == 3, report
    nodes = {j["worker"].split(" node ")[1] for j in report["jobs"]}
    assert len(nodes) == 2  # both worker nodes rendered
    for r in rows:
        assert frames_in(tmp_path / r["output"]) > 0


def test_ctrl_c_keeps_finished_outputs_and_the_same_command_resumes(
    tmp_path: Path, grid: Path
) -> None:
    import signal
    import time

    rows = [{"portrait": str(PORTRAIT), "audio": clip(grid, c), "output": f"{c}.mp4",
             "size": "96", "motion": "phonetic"} for c in ("bbaf2n", "bbaf3s", "bbaf4p")]
    manifest = write_manifest(tmp_path / "jobs.csv", rows)
    report_path = tmp_path / "jobs.csv.report.json"
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "batch", str(manifest)],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait for the first finished job, then Ctrl-C
        if report_path.exists() and json.loads(report_path.read_text())["counts"]["done"]:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "resume" in err
    report = json.loads(report_path.read_text())
    assert report["cancelled"] and report["counts"]["done"] >= 1
    assert report["counts"]["done"] + report["counts"]["cancelled"] \
        + report["counts"]["not run"] == 3
    assert not list(tmp_path.glob(".*part*"))  # a stopped render leaves nothing
    done = {Path(j["output"]).name for j in report["jobs"] if j["status"] == "done"}

    again = run_batch_cli(str(manifest))
    assert again.returncode == 0, again.stderr
    report = json.loads(report_path.read_text())
    assert {Path(j["output"]).name for j in report["jobs"] if j["status"] == "skipped"} == done
    assert all((tmp_path / r["output"]).is_file() for r in rows)
