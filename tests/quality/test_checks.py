"""Quality checks: each fault found with its evidence, thresholds honoured, one root cause.

Built from the synthetic pictures of ``vidgov.simulate.pictures`` (no mocks): every check runs
on a window that has its fault and on a healthy one, and the whole diagnosis runs over every
condition and a few seeds to give a confusion matrix that must be diagonal.
"""

from __future__ import annotations

import pickle
from collections import Counter
from datetime import datetime, timedelta

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from vidgov.errors import InvalidInput
from vidgov.quality import (
    PRECEDENCE,
    SUPPRESSES,
    Diagnosis,
    FrameWindow,
    InvalidFrames,
    OsdRegion,
    QualityFault,
    QualityThresholds,
    diagnose,
    root_causes,
)
from vidgov.quality.checks import PICTURE_CHECKS, prepare
from vidgov.quality.checks.motion import measure_shifts
from vidgov.quality.models import FAULT_INFO
from vidgov.quality.osd import RapidOcrClockReader
from vidgov.simulate.pictures import DEFAULT_WALL_CLOCK, Condition, clock_offset_s, make_window

F = QualityFault
DEFAULTS = QualityThresholds()

#: The threshold field each picture check compares against.
THRESHOLD_FIELD = {
    F.NO_SIGNAL: "no_signal_uniform_fraction",
    F.FROZEN: "frozen_change_levels",
    F.BLUR: "blur_sharpness",
    F.OCCLUSION: "occlusion_fraction",
    F.COLOUR_CAST: "colour_cast_factor",
    F.NOISE: "noise_sigma_levels",
    F.OVEREXPOSED: "overexposed_fraction",
    F.UNDEREXPOSED: "underexposed_mean_levels",
    F.JITTER: "jitter_shift_pct",
}


def window_of(condition: Condition, seed: int = 0, size_wh: tuple[int, int] = (320, 180),
              frames: int = 4) -> FrameWindow:
    return make_window(condition, seed, size_wh, frames=frames)


def as_i420(window: FrameWindow, full_range: bool) -> FrameWindow:
    """The window as a decoder hands it over: planar YUV 4:2:0, video (16-235) or full range."""
    planes = []
    for frame in window.frames:
        if not full_range:  # OpenCV's I420 is BT.601 video range, as x264 and most cameras
            planes.append(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420))
            continue
        y, cr, cb = cv2.split(cv2.cvtColor(frame, cv2.COLOR_BGR2YCrCb))  # full range (JPEG)
        h, w = y.shape
        half = [cv2.resize(c, (w // 2, h // 2), interpolation=cv2.INTER_AREA) for c in (cb, cr)]
        planes.append(np.concatenate([y, *(c.reshape(h // 4, w) for c in half)]))
    return FrameWindow.from_i420(np.stack(planes), window.timestamps_s, full_range=full_range)


# --- thresholds ---------------------------------------------------------------------------------
def test_every_threshold_is_described() -> None:
    for model in (QualityThresholds, OsdRegion):
        for name, info in model.model_fields.items():
            assert len(info.description or "") > 20, f"{model.__name__}.{name}"


@pytest.mark.parametrize(("values", "complaint"), [
    ({"blur_sharpnes": 0.3}, "blur_sharpnes"),
    ({"overexposed_fraction": 30}, "overexposed_fraction"),
    ({"noise_sigma_levels": "8"}, "noise_sigma_levels"),
    ({"analysis_max_width_px": 16}, "analysis_max_width_px"),
    ({"clock_drift_s": -1}, "clock_drift_s"),
    ({"osd_region": {"left": 0.7, "right": 0.6}}, "left < right"),
    ({"osd_region": {"right": 1.0, "bottom": 1.0}}, "at most 25% of the picture"),
])
def test_bad_thresholds_are_refused_by_name(values: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        QualityThresholds.model_validate(values)


def test_thresholds_load_from_json_config() -> None:
    loaded = QualityThresholds.model_validate_json(
        '{"blur_sharpness": 0.2, "osd_region": {"right": 0.5, "bottom": 0.1}}')
    assert loaded.blur_sharpness == 0.2
    assert loaded.osd_region.box_xyxy(640, 360) == (0, 0, 320, 36)


# --- value types --------------------------------------------------------------------------------
GOOD = np.zeros((2, 64, 64, 3), dtype=np.uint8)


@pytest.mark.parametrize(("frames", "stamps", "complaint"), [
    (np.zeros((2, 64, 64), np.uint8), [0.0, 1.0], r"N×H×W×3 \(BGR\), got shape \(2, 64, 64\)"),
    (np.zeros((2, 64, 64, 4), np.uint8), [0.0, 1.0], r"got shape \(2, 64, 64, 4\)"),
    (GOOD.astype(np.float32), [0.0, 1.0], "must be uint8, got float32"),
    (GOOD[:0], [], "at least 1 frame, got 0"),
    (np.zeros((1, 16, 64, 3), np.uint8), [0.0], "at least 32×32 px, got 64×16"),
    (GOOD, [0.0], r"one value per frame \(2,\), got shape \(1,\)"),
    (GOOD, [1.0, 1.0], r"strictly increasing, got \[1.0, 1.0\]"),
    (GOOD, [0.0, float("nan")], "must be finite"),
])
def test_frame_window_says_what_is_wrong(frames: np.ndarray, stamps: list[float],
                                         complaint: str) -> None:
    with pytest.raises(InvalidFrames, match=complaint):
        FrameWindow(frames, np.array(stamps))


def test_frame_window_is_read_only_and_leaves_the_caller_alone() -> None:
    frames = GOOD.copy()
    window = FrameWindow.at_fps(frames, fps=5.0)
    assert window.timestamps_s.tolist() == [0.0, 0.2]
    with pytest.raises(ValueError, match="read-only"):
        window.frames[0, 0, 0, 0] = 1
    frames[0, 0, 0, 0] = 1  # the caller's own array stays writable


@pytest.mark.parametrize(("planes", "complaint"), [
    (np.zeros((2, 64, 64), np.uint8), r"N×\(3H/2\)×W with H and W even, got shape"),
    (np.zeros((2, 96, 63), np.uint8), r"got shape \(2, 96, 63\)"),
    (np.zeros((2, 96, 64), np.float32), "must be uint8, got float32"),
    (np.zeros((2, 24, 64), np.uint8), "at least 32×32 px, got 64×16"),
])
def test_an_i420_window_says_what_is_wrong(planes: np.ndarray, complaint: str) -> None:
    with pytest.raises(InvalidFrames, match=complaint):
        FrameWindow.from_i420(planes, np.array([0.0, 1.0]), full_range=False)


@pytest.mark.parametrize("full_range", [False, True], ids=["video-range", "full-range"])
def test_an_i420_window_shows_the_same_picture(full_range: bool) -> None:
    """Grey from the Y plane and colour from U and V, never a BGR frame: the checks see what
    they see in the BGR window the planes were made from, to a grey level or so."""
    bgr = window_of(Condition.COLOUR_CAST, size_wh=(640, 360))
    i420 = as_i420(bgr, full_range)
    assert i420.size_wh == (640, 360)
    assert len(i420) == len(bgr)
    a, b = prepare(bgr, DEFAULTS), prepare(i420, DEFAULTS)
    assert np.abs(a.grey.astype(int) - b.grey).mean() < 1.5
    assert b.small is None  # no BGR image was made
    colour_a = a.colour_at_most(0, 160).astype(int)
    colour_b = b.colour_at_most(0, 160).astype(int)
    assert colour_a.shape == colour_b.shape == (90, 160, 3)
    assert np.abs(colour_a - colour_b).mean(axis=(0, 1)).max() < 3
    assert np.abs(i420.frames.astype(int) - bgr.frames).mean() < 3  # converted once, on demand
    assert not i420.frames.flags.writeable
    back = pickle.loads(pickle.dumps(i420))
    assert back.i420 is not None
    assert np.array_equal(back.i420, i420.i420)
    assert back.full_range is full_range
    assert not back.i420.flags.writeable


@pytest.mark.parametrize(("code", "measured", "threshold"), [
    (F.BLUR, 0.5, 0.25),  # sharpness must be below
    (F.NOISE, 3.0, 8.0),  # sigma must be above
    (F.CLOCK_DRIFT, -10.0, 30.0),  # |drift| must be above
])
def test_a_diagnosis_must_cross_its_threshold(code: QualityFault, measured: float,
                                              threshold: float) -> None:
    with pytest.raises(ValidationError, match=f"got {measured}"):
        Diagnosis(code=code, measured=measured, threshold=threshold, frame_index=0)


def test_a_diagnosis_reads_in_both_languages() -> None:
    d = Diagnosis(code=F.CLOCK_DRIFT, measured=-3600.0, threshold=30.0, frame_index=2)
    assert d.description_zh.startswith("OSD时钟偏差：时钟偏差 -3600（s）超过阈值 30")
    assert d.description_en.startswith("OSD clock drift: clock offset -3600 s above")
    assert d.model_dump()["unit"] == "s"


# --- each check on its own ----------------------------------------------------------------------
@pytest.mark.parametrize("fault", list(PICTURE_CHECKS))
def test_each_check_finds_its_fault_with_evidence(fault: QualityFault) -> None:
    check = PICTURE_CHECKS[fault]
    for seed in (0, 1):
        window = window_of(Condition(fault.value), seed)
        found = check(prepare(window, DEFAULTS), DEFAULTS)
        assert found is not None, f"{fault} missed on seed {seed}"
        assert found.code is fault
        assert found.threshold == getattr(DEFAULTS, THRESHOLD_FIELD[fault])
        assert 0 <= found.frame_index < len(window)
        assert np.isfinite(found.measured)
        assert check(prepare(window_of(Condition.NORMAL, seed), DEFAULTS), DEFAULTS) is None


@pytest.mark.parametrize("fault", list(PICTURE_CHECKS))
def test_each_threshold_is_honoured(fault: QualityFault) -> None:
    """With the threshold moved to the measured value the finding turns off: checks read it."""
    check = PICTURE_CHECKS[fault]
    views = prepare(window_of(Condition(fault.value)), DEFAULTS)
    found = check(views, DEFAULTS)
    assert found is not None
    at_value = DEFAULTS.model_copy(update={THRESHOLD_FIELD[fault]: found.measured})
    assert check(views, at_value) is None


def test_window_checks_need_enough_frames() -> None:
    one = window_of(Condition.FROZEN, frames=1)
    two = window_of(Condition.JITTER, frames=2)
    assert PICTURE_CHECKS[F.FROZEN](prepare(one, DEFAULTS), DEFAULTS) is None
    assert PICTURE_CHECKS[F.JITTER](prepare(two, DEFAULTS), DEFAULTS) is None


def test_a_steady_pan_measures_the_same_shift_between_every_pair_of_frames() -> None:
    """Each pair is measured as it is: phase correlation must not see a frame differently
    because it was the second image of the pair before (OpenCV 5.0 writes its window into
    the images it is given)."""
    texture = cv2.GaussianBlur(np.random.default_rng(3).integers(0, 256, (200, 720, 3),
                                                                    dtype=np.uint8), (0, 0), 2)
    step_px = 4  # 1.25% of the width a frame
    frames = np.stack([texture[:180, i * step_px:i * step_px + 320] for i in range(5)])
    views = prepare(FrameWindow(frames, [0.0, 0.1, 0.2, 0.3, 0.4]), DEFAULTS)
    shifts = measure_shifts(views)
    assert np.ptp(shifts[:, 0]) < 0.02  # was 0.16 with a frame windowed twice
    assert shifts[:, 0] == pytest.approx([-100.0 * step_px / 320] * 4, rel=0.1)
    assert shifts[:, 1] == pytest.approx([0.0] * 4, abs=0.02)
    assert PICTURE_CHECKS[F.JITTER](views, DEFAULTS) is None


def test_a_ticking_osd_clock_does_not_make_a_frozen_picture_live() -> None:
    ticking = window_of(Condition.FROZEN, seed=1, frames=8)  # odd seeds keep the clock running
    assert not np.array_equal(ticking.frames[0], ticking.frames[-1])
    found = PICTURE_CHECKS[F.FROZEN](prepare(ticking, DEFAULTS), DEFAULTS)
    assert found is not None
    assert found.measured < DEFAULTS.frozen_change_levels


# --- precedence ---------------------------------------------------------------------------------
def test_faults_only_hide_faults_below_them() -> None:
    assert set(PRECEDENCE) == set(F)
    for fault, hidden in SUPPRESSES.items():
        for other in hidden:
            assert PRECEDENCE.index(other) > PRECEDENCE.index(fault), (fault, other)


def _diag(code: QualityFault) -> Diagnosis:
    measured = {"min": -1.0, "max": 1e9, "abs_max": 1e9}
    return Diagnosis(code=code, measured=measured[FAULT_INFO[code].limit], threshold=1.0,
                     frame_index=0)


@pytest.mark.parametrize(("found", "kept"), [
    ([F.BLUR, F.NO_SIGNAL, F.FROZEN], [F.NO_SIGNAL]),
    ([F.FROZEN, F.CLOCK_DRIFT, F.NOISE], [F.FROZEN]),
    ([F.FROZEN, F.OVEREXPOSED], [F.OVEREXPOSED]),
    ([F.NOISE, F.UNDEREXPOSED, F.OCCLUSION], [F.UNDEREXPOSED]),
    ([F.COLOUR_CAST, F.OCCLUSION, F.BLUR], [F.OCCLUSION]),
    ([F.BLUR, F.JITTER], [F.JITTER]),
    ([F.CLOCK_DRIFT, F.COLOUR_CAST, F.NOISE, F.BLUR], [F.BLUR, F.NOISE, F.COLOUR_CAST,
                                                       F.CLOCK_DRIFT]),
    ([F.CLOCK_DRIFT, F.UNDEREXPOSED], [F.UNDEREXPOSED, F.CLOCK_DRIFT]),
])
def test_one_root_cause_where_faults_overlap(found: list[QualityFault],
                                             kept: list[QualityFault]) -> None:
    assert [d.code for d in root_causes(_diag(code) for code in found)] == kept


# --- diagnose -----------------------------------------------------------------------------------
def test_diagnose_keeps_a_small_evidence_snapshot() -> None:
    window = window_of(Condition.BLUR, size_wh=(640, 360))
    [found] = diagnose(window, DEFAULTS, DEFAULT_WALL_CLOCK)
    assert found.code is F.BLUR
    assert found.snapshot_jpeg is not None
    image = cv2.imdecode(np.frombuffer(found.snapshot_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    assert image.shape == (180, 320, 3)
    assert len(found.snapshot_jpeg) < 40_000


def test_a_diagnosis_round_trips_through_json() -> None:
    [found] = diagnose(window_of(Condition.NOISE), DEFAULTS, DEFAULT_WALL_CLOCK)
    text = found.model_dump_json()
    assert '"description_en":"noise or snow: noise sigma' in text
    assert Diagnosis.model_validate_json(text) == found
    assert Diagnosis.model_validate(found.model_dump(mode="json")) == found


def test_windows_and_diagnoses_travel_to_a_worker() -> None:
    """A Ray task gets both pickled; they must arrive whole and still read-only."""
    window = window_of(Condition.NOISE)
    [found] = diagnose(window, DEFAULTS, DEFAULT_WALL_CLOCK)
    window_back, found_back = pickle.loads(pickle.dumps((window, found)))
    assert np.array_equal(window_back.frames, window.frames)
    assert not window_back.frames.flags.writeable
    assert found_back == found


def test_the_simulator_wants_an_aware_wall_clock() -> None:
    with pytest.raises(InvalidFrames, match="timezone-aware"):
        make_window(Condition.NORMAL, 0, wall_clock=datetime(2024, 5, 17, 14, 32, 7))


def test_diagnose_wants_an_aware_wall_clock() -> None:
    with pytest.raises(InvalidInput, match="timezone-aware"):
        diagnose(window_of(Condition.NORMAL), DEFAULTS, datetime(2024, 5, 17, 14, 32, 7))


def test_pictures_are_deterministic() -> None:
    a, b = window_of(Condition.OCCLUSION, 3), window_of(Condition.OCCLUSION, 3)
    assert np.array_equal(a.frames, b.frames)
    assert not np.array_equal(a.frames, window_of(Condition.OCCLUSION, 4).frames)
    assert clock_offset_s(Condition.NORMAL, 3) == 0.0
    assert abs(clock_offset_s(Condition.CLOCK_DRIFT, 3)) >= 120


# --- the confusion matrix -----------------------------------------------------------------------
SEEDS = (0, 1, 2)


def confusion(size_wh: tuple[int, int], clock: RapidOcrClockReader | None, layout: str = "bgr",
              ) -> tuple[Counter[tuple[str, str]], list[str]]:
    """Counts of (true condition, diagnosed root cause); also every window that said more.
    ``layout``: the windows as BGR frames, or as the decoder's YUV ("i420", "i420-full")."""
    counts: Counter[tuple[str, str]] = Counter()
    extra = []
    for condition in Condition:
        if clock is None and condition is Condition.CLOCK_DRIFT:
            continue
        for seed in SEEDS:
            wall = DEFAULT_WALL_CLOCK + timedelta(minutes=37 * seed)
            window = make_window(condition, seed, size_wh, frames=4, fps=4.0, wall_clock=wall)
            if layout != "bgr":
                window = as_i420(window, full_range=layout == "i420-full")
            found = diagnose(window, DEFAULTS, wall, clock)
            said = found[0].code.value if found else "normal"
            counts[condition.value, said] += 1
            if len(found) > 1:
                extra.append(f"{condition.value}/{seed}: {[d.code.value for d in found]}")
    return counts, extra


def render(counts: Counter[tuple[str, str]], title: str) -> str:
    labels = [c.value for c in Condition if any(k[0] == c.value for k in counts)]
    said = labels + sorted({k[1] for k in counts} - set(labels))
    short = {label: label[:7] for label in said}
    lines = [title, "true \\ diagnosed".ljust(16) + "".join(f"{short[s]:>8}" for s in said)]
    for label in labels:
        lines.append(label.ljust(16) + "".join(
            f"{counts.get((label, s), 0) or '.':>8}" for s in said))
    return "\n".join(lines)


@pytest.mark.parametrize(("size_wh", "layout"), [
    ((640, 360), "bgr"), ((320, 180), "bgr"), ((640, 360), "i420"), ((320, 180), "i420-full"),
], ids=["640x360+clock", "320x180", "640x360+clock-i420", "320x180-i420-full"])
def test_confusion_matrix_is_diagonal(size_wh: tuple[int, int], layout: str,
                                      clock_reader: RapidOcrClockReader,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """640×360 windows also get the OSD clock read (at 320×180 the clock is too small to OCR).
    Windows of the decoder's YUV (what a probe diagnoses) must give the same matrix."""
    clock = clock_reader if size_wh[0] >= 640 else None
    counts, extra = confusion(size_wh, clock, layout)
    table = render(counts, f"confusion matrix, {size_wh[0]}×{size_wh[1]} {layout}, 4 frames, "
                           f"seeds {list(SEEDS)}{', OSD clock read' if clock else ''}:")
    with capsys.disabled():
        print("\n" + table)
    off_diagonal = {k: n for k, n in counts.items() if k[0] != k[1]}
    assert not off_diagonal, table
    assert not extra, extra
