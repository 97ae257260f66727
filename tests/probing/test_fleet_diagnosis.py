"""Every condition of the real fleet, probed and diagnosed: the confusion matrix is diagonal."""

from __future__ import annotations

import pytest

from vidgov.probing.probe import ProbeOptions, ProbeTarget, probe_many
from vidgov.quality import QualityFault
from vidgov.services.sweeps import picture_diagnoser
from vidgov.simulate.fleet import EXPECTED_FAULT, Condition, Fleet

pytestmark = pytest.mark.rtsp

#: What the diagnosis must call each picture condition of the fleet.
PICTURE_FAULT = {
    Condition.NORMAL: "ok",
    Condition.BLACK: QualityFault.NO_SIGNAL.value,
    Condition.FROZEN: QualityFault.FROZEN.value,
    Condition.BLURRED: QualityFault.BLUR.value,
    Condition.OCCLUDED: QualityFault.OCCLUSION.value,
    Condition.COLOUR_CAST: QualityFault.COLOUR_CAST.value,
    Condition.NOISE: QualityFault.NOISE.value,
    Condition.OVEREXPOSED: QualityFault.OVEREXPOSED.value,
    Condition.UNDEREXPOSED: QualityFault.UNDEREXPOSED.value,
    Condition.SHAKING: QualityFault.JITTER.value,
    Condition.OSD_DRIFT: QualityFault.CLOCK_DRIFT.value,
}
EXPECTED = {**PICTURE_FAULT, **EXPECTED_FAULT}


def test_every_fleet_condition_is_diagnosed_as_itself() -> None:
    with Fleet.one_of_each() as fleet:
        cameras = fleet.cameras
        options = ProbeOptions(diagnose=picture_diagnoser())
        results = probe_many([ProbeTarget(c.url) for c in cameras], options,
                             concurrency=len(cameras))
    labels = sorted(set(EXPECTED.values()))
    matrix = {(e, f): 0 for e in labels for f in [*labels, "other"]}
    for camera, result in zip(cameras, results, strict=True):
        found = "+".join(result.faults) or "ok"
        matrix[(EXPECTED[camera.condition], found if found in labels else "other")] += 1
    width = max(map(len, labels)) + 2
    print("\nexpected \\ diagnosed".ljust(width) + "".join(f[:6].rjust(7) for f in
                                                         [*labels, "other"]))
    for expected in labels:
        print(expected.ljust(width) + "".join(
            str(matrix[(expected, f)] or ".").rjust(7) for f in [*labels, "other"]))
    off_diagonal = {k: v for k, v in matrix.items() if v and k[0] != k[1]}
    assert off_diagonal == {}
