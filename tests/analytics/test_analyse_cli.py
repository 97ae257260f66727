"""``vidgov analyse run`` as a user runs it: JSON on stdout, an annotated MP4, one-line errors."""

from __future__ import annotations

import json
from dataclasses import astuple
from pathlib import Path

import av
import pytest

from support.cli import Invoke, invoker

from .builders import write_clip

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
    code, _, err = astuple(vidgov("analyse", "run", str(vtest_cut), "--scenario", "crowd"))
    assert code == 2
    assert "crowd" in err
