"""``vidgov analyse run`` as a user runs it: JSON on stdout, an annotated MP4, one-line errors."""

from __future__ import annotations

import json
from dataclasses import astuple
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from support.cli import Invoke, invoker

from .builders import pile_appears, write_brightness_model, write_clip

LINE = "walkway=240,576,240,100"  # the hand-labelled line of data/vtest_line.json


@pytest.fixture
def vidgov(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
           tmp_path: Path) -> Invoke:
    """``vidgov(*args)`` through the real entry point, in the test's folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    return invoker(capsys, monkeypatch)


@pytest.fixture(scope="module")
def vtest_cut(tmp_path_factory: pytest.TempPathFactory, vtest_video: Path) -> Path:
    """Frames 160-219 of vtest (6 s): two people walk leftwards across the line (hand labels:
    frames 178 and 200), re-encoded to H.264."""
    with av.open(str(vtest_video)) as container:
        pictures = [f.to_ndarray(format="bgr24")
                    for i, f in enumerate(container.decode(video=0)) if 160 <= i < 220]

    def draw(index: int, picture: object) -> None:
        picture[:] = pictures[index]  # type: ignore[index]

    return write_clip(tmp_path_factory.mktemp("cut") / "vtest_cut.mp4", len(pictures),
                      (768, 576), 10, draw)


def test_json_counts_series_and_annotated_video(vidgov: Invoke, vtest_cut: Path,
                                                nanodet_onnx: Path, tmp_path: Path) -> None:
    code, out, err = astuple(vidgov("analyse", "run", str(vtest_cut), "--line", LINE,
                                    "--zone", "plaza=300,200,768,200,768,450,300,450",
                                    "--out", "annotated.mp4", "--json"))
    assert code == 0, err
    document = json.loads(out)
    assert document["camera_id"] == "vtest_cut"
    assert document["frames"] == document["analysed_frames"] == 60
    assert document["lines"] == {"walkway": {"person": {"in": 2, "out": 0}}}
    line_rows = [r for r in document["series"] if r["kind"] == "line"]
    zone_rows = [r for r in document["series"] if r["kind"] == "zone"]
    assert len(line_rows) == len(zone_rows) == 6        # one minute × six classes each
    assert set(line_rows[0]) == {"camera_id", "minute", "kind", "region_id", "class_name",
                                 "in_count", "out_count", "occupancy_max", "occupancy_mean",
                                 "dwell_s_mean", "dwell_s_max"}
    assert sum(r["in_count"] for r in line_rows) == 2
    with av.open(str(tmp_path / "annotated.mp4")) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (768, 576)
        assert sum(1 for _ in container.decode(stream)) == 60


def test_every_n_frames(vidgov: Invoke, vtest_cut: Path, nanodet_onnx: Path) -> None:
    code, out, err = astuple(vidgov("analyse", "run", str(vtest_cut), "--line", LINE,
                                    "--every", "3", "--json"))
    assert code == 0, err
    document = json.loads(out)
    assert (document["frames"], document["analysed_frames"]) == (60, 20)


def test_frames_a_second(vidgov: Invoke, vtest_cut: Path, nanodet_onnx: Path) -> None:
    # vtest runs at 10 fps: 60 frames are 6 s, so 2 a second is 12 frames analysed.
    code, out, err = astuple(vidgov("analyse", "run", str(vtest_cut), "--line", LINE,
                                    "--fps", "2", "--json"))
    assert code == 0, err
    assert json.loads(out)["analysed_frames"] == 12


def test_table_output(vidgov: Invoke, vtest_cut: Path, nanodet_onnx: Path) -> None:
    code, out, err = astuple(vidgov("analyse", "run", str(vtest_cut), "--line", LINE))
    assert code == 0, err
    assert "walkway" in out
    assert "60 frames" in out


@pytest.mark.parametrize(("args", "message"), [
    (["missing.mp4"], "video not found: missing.mp4"),
    (["VIDEO", "--line", "1,2,3"], "bad line '1,2,3': expected x1,y1,x2,y2"),
    (["VIDEO", "--zone", "0,0,5,5"], "bad zone '0,0,5,5'"),
    (["VIDEO", "--line", "a=1,1,2,2", "--line", "a=3,3,4,4"], "ids must differ"),
    (["rtsp://admin:s3cret@127.0.0.1:1/x"], "cannot open video rtsp://***@127.0.0.1:1/x"),
    (["VIDEO", "--every", "2", "--fps", "1"], "give --every or --fps, not both"),
    (["VIDEO", "--keyframes-only"], "--keyframes-only needs --fps"),
])
def test_bad_input_is_one_line_and_exit_2(vidgov: Invoke, vtest_cut: Path, args: list[str],
                                          message: str) -> None:
    args = [str(vtest_cut) if a == "VIDEO" else a for a in args]
    code, out, err = astuple(vidgov("analyse", "run", *args))
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "s3cret" not in err


def test_unknown_scenario_is_a_usage_error(vidgov: Invoke, vtest_cut: Path) -> None:
    code, _, err = astuple(vidgov("analyse", "run", str(vtest_cut), "--scenario", "garbage"))
    assert code == 2
    assert "garbage" in err


@pytest.fixture(scope="module")
def vtest_group(tmp_path_factory: pytest.TempPathFactory, vtest_video: Path) -> Path:
    """Frames 40-229 of vtest (19 s): a group of 4-6 people on the plaza from about 2 s to
    14 s of the cut (hand count in test_events.py)."""
    with av.open(str(vtest_video)) as container:
        pictures = [f.to_ndarray(format="bgr24")
                    for i, f in enumerate(container.decode(video=0)) if 40 <= i < 230]

    def draw(index: int, picture: np.ndarray) -> None:
        picture[:] = pictures[index]

    return write_clip(tmp_path_factory.mktemp("group") / "plaza.mp4", len(pictures),
                      (768, 576), 10, draw)


PLAZA = "plaza=300,150,700,150,700,320,300,320"


def test_crowd_events_records_and_deidentified_evidence(vidgov: Invoke, vtest_group: Path,
                                                        nanodet_onnx: Path,
                                                        tmp_path: Path) -> None:
    (tmp_path / "evidence").mkdir()
    code, out, err = astuple(vidgov(
        "analyse", "run", str(vtest_group), "--scenario", "crowd", "--zone", PLAZA,
        "--crowd-people", "4", "--crowd-seconds", "5", "--crowd-growth", "0", "--every", "2",
        "--records", "records.jsonl", "--evidence", "evidence",
        "--start-time", "2026-12-02T08:00:00", "--json"))
    assert code == 0, err
    document = json.loads(out)
    (event,) = document["events"]
    assert (event["kind"], event["region_id"], event["threshold"]) == ("crowd", "plaza", 4)
    assert 1.5 <= event["started_s"] <= 4.5
    assert 12 <= event["ended_s"] <= 17
    assert 5 <= event["peak"] <= 7
    assert event["has_snapshot"] is True
    (picture,) = (tmp_path / "evidence").iterdir()
    assert picture.name.startswith("001-crowd-plaza-")
    jpeg = cv2.imdecode(np.frombuffer(picture.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert jpeg is not None
    assert jpeg.shape == (480, 640, 3)
    lines = (tmp_path / "records.jsonl").read_text("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert records == document["records"]
    assert records[-1]["ObjectType"] == "Event"
    assert records[-1]["BeginTime"].startswith("2026-12-02T08:00:0")
    assert sum(r["ObjectType"] == "Person" for r in records) >= 6


def test_crowd_table_says_when_nothing_happened(vidgov: Invoke, vtest_group: Path,
                                                nanodet_onnx: Path) -> None:
    code, out, err = astuple(vidgov(
        "analyse", "run", str(vtest_group), "--scenario", "crowd", "--zone", PLAZA,
        "--crowd-people", "9", "--crowd-growth", "0", "--every", "4"))
    assert code == 0, err
    assert "no crowd events" in out


def test_custom_scenario_with_a_users_model(vidgov: Invoke, tmp_path: Path) -> None:
    model = write_brightness_model(tmp_path / "pile.onnx", (32, 32, 32, 32), gain=3.0)
    clip = write_clip(tmp_path / "pile.mp4", 60, (240, 240), 10, pile_appears)
    code, out, err = astuple(vidgov(
        "analyse", "run", str(clip), "--scenario", "custom", "--custom-model", str(model),
        "--custom-classes", "garbage_pile", "--zone", "kerb=40,40,200,40,200,200,40,200",
        "--presence-seconds", "2"))
    assert code == 0, err
    assert "presence" in out
    assert "kerb" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--scenario", "crowd"], "scenario crowd watches zones: give at least one --zone"),
    (["--scenario", "crowd", "--zone", PLAZA, "--crowd-people", "0"],
     "--crowd-people: Input should be greater than or equal to 1"),
    (["--scenario", "congestion", "--zone", PLAZA, "--congestion-speed", "-1"],
     "--congestion-speed: Input should be greater than 0"),
    (["--scenario", "custom", "--zone", PLAZA], "scenario custom needs --custom-model"),
    (["--scenario", "custom", "--zone", PLAZA, "--custom-model", "none.onnx",
      "--custom-classes", "pile"], "detector model not found: none.onnx"),
    (["--custom-model", "x.onnx"], "--custom-model is for --scenario custom"),
    (["--evidence", "nowhere"], "--evidence nowhere: no such folder"),
])
def test_bad_scenario_input_is_one_line_and_exit_2(vidgov: Invoke, vtest_cut: Path,
                                                   args: list[str], message: str) -> None:
    code, out, err = astuple(vidgov("analyse", "run", str(vtest_cut), *args))
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
