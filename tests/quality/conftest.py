"""One OSD clock reader for the whole session: loading the OCR models takes about a second."""

from __future__ import annotations

import pytest

from vidgov.quality.osd import RapidOcrClockReader


@pytest.fixture(scope="session")
def clock_reader() -> RapidOcrClockReader:
    return RapidOcrClockReader(threads=1)
