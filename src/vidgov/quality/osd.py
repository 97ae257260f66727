"""Reading the date-time line a camera burns into its picture (OSD), for clock-drift checks.

The reader crops the OSD region, shrinks it, and runs the PP-OCR models that ship inside the
``rapidocr`` package on ONNX Runtime (nothing is downloaded). The model is loaded on the first
read, not at import or construction, since it costs about half a second and most callers only
need the parser. A read costs tens of milliseconds on one core: a probe should read the clock
once every few windows (say every 10th), not on every frame.

Cameras write the time in a few forms; the parser takes the Chinese and ISO-like ones:
``2024年05月17日 星期五 14:32:07``, ``2024-05-17 14:32:07``, ``2024/05/17 周五 14:32:07``, also
with full-width digits and colons, and with the space lost by OCR (``2024-05-1714:32:07``).
Month-first and day-first orders and 12-hour clocks are not read (they are ambiguous).
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Final, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from vidgov.errors import ConfigurationError
from vidgov.quality.thresholds import OsdRegion

if TYPE_CHECKING:
    from rapidocr import RapidOCR

Image = npt.NDArray[np.uint8]

#: China Standard Time, what cameras in the region burn in.
BEIJING: Final = timedelta(hours=8)
#: Text lines lower than this (detected box, frame pixels) are too small to trust.
MIN_TEXT_HEIGHT_PX: Final = 12.0

_DATE_TIME = re.compile(
    r"(?P<year>(?:19|20)\d{2})\s*[年\-/.]\s*(?P<month>\d{1,2})\s*[月\-/.]\s*(?P<day>\d{1,2})"
    r"\s*日?\D*?"
    r"(?P<hour>\d{2})\s*:\s*(?P<minute>\d{2})\s*:\s*(?P<second>\d{2})(?!\d)")


@dataclass(frozen=True)
class OsdReading:
    """What the OSD clock showed: the text as read, and that time, tz-aware."""

    text: str
    shown_at: datetime
    score: float  # the OCR's confidence in the line, 0..1


def parse_osd_datetime(text: str, utc_offset: timedelta = BEIJING) -> datetime | None:
    """The date-time in an OSD line as a tz-aware datetime (the camera's ``utc_offset``).

    None when no complete, valid date and time is in the text: a half-read clock must not
    become a drift of days.
    """
    normal = unicodedata.normalize("NFKC", text)
    for match in _DATE_TIME.finditer(normal):
        parts = {key: int(value) for key, value in match.groupdict().items()}
        try:
            return datetime(parts["year"], parts["month"], parts["day"], parts["hour"],
                            parts["minute"], parts["second"], tzinfo=timezone(utc_offset))
        except ValueError:
            continue
    return None


class ClockReader(Protocol):
    """Reads the burned-in clock of one BGR frame; None when it cannot."""

    def read(self, frame: Image, /) -> OsdReading | None: ...


class RapidOcrClockReader:
    """The OSD clock read with rapidocr's PP-OCR models (det + rec; no angle classifier).

    ``threads``: ONNX Runtime intra-op threads (1: the per-core budget of a sweep worker).
    ``max_crop_width_px``: the crop is shrunk to at most this width before OCR; the recogniser
    works on 48-px-high lines anyway, so a larger crop only costs detector time.
    ``min_text_height_px``: text lines whose detected box is lower than this in the frame are
    not trusted. Measured: on 7-px digits (a 180-line picture, boxes of 11-16 px) PP-OCR read
    "14" as "04" with 0.94 confidence, and a misread hour is a drift of hours; on 15-px digits
    and larger it read every clock we rendered exactly. Boxes vary, so this guard only drops
    the hopeless lines; ``read_clock_drift`` confirms a drift on a second frame.
    """

    def __init__(self, region: OsdRegion | None = None, utc_offset: timedelta = BEIJING,
                 threads: int = 1, max_crop_width_px: int = 480,
                 min_text_height_px: float = MIN_TEXT_HEIGHT_PX) -> None:
        missing = [name for name in ("rapidocr", "onnxruntime")
                   if importlib.util.find_spec(name) is None]
        if missing:
            raise ConfigurationError(
                f"reading the OSD clock needs the {' and '.join(missing)} package(s): "
                f"pip install rapidocr onnxruntime")
        self.region = region or OsdRegion()
        self.utc_offset = utc_offset
        self.threads = threads
        self.max_crop_width_px = max_crop_width_px
        self.min_text_height_px = min_text_height_px
        self._engine: RapidOCR | None = None

    def _load(self) -> RapidOCR:
        if self._engine is None:
            from rapidocr import RapidOCR

            self._engine = RapidOCR(params={
                "Global.log_level": "error",
                "Global.use_cls": False,
                "Det.limit_type": "max",
                "Det.limit_side_len": 768,
                "EngineConfig.onnxruntime.intra_op_num_threads": self.threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            })
        return self._engine

    def crop(self, frame: Image) -> Image:
        """The OSD region of an H×W×3 frame, shrunk to at most ``max_crop_width_px`` wide."""
        h, w = frame.shape[:2]
        x0, y0, x1, y1 = self.region.box_xyxy(w, h)
        crop = frame[y0:y1, x0:x1]
        if crop.shape[1] > self.max_crop_width_px:
            scale = self.max_crop_width_px / crop.shape[1]
            size = (self.max_crop_width_px, max(round(crop.shape[0] * scale), 1))
            crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA),
                              dtype=np.uint8)
        return np.ascontiguousarray(crop)

    def read(self, frame: Image, /) -> OsdReading | None:
        x0, _, x1, _ = self.region.box_xyxy(frame.shape[1], frame.shape[0])
        crop = self.crop(frame)
        scale = crop.shape[1] / max(x1 - x0, 1)  # crop pixels per frame pixel
        lines = [(text, score) for text, score, height in self.read_lines(crop)
                 if height / scale >= self.min_text_height_px]
        candidates = [*lines, (" ".join(text for text, _ in lines),
                               min((score for _, score in lines), default=0.0))]
        for text, score in candidates:
            shown_at = parse_osd_datetime(text, self.utc_offset)
            if shown_at is not None:
                return OsdReading(text=text, shown_at=shown_at, score=score)
        return None

    def read_lines(self, crop: Image) -> list[tuple[str, float, float]]:
        """Text lines in a crop, top to bottom then left to right: text, confidence, and the
        height of the line's detected box in crop pixels."""
        result: Any = self._load()(crop)
        texts, scores, boxes = (getattr(result, name, None) for name in ("txts", "scores", "boxes"))
        if not texts or scores is None or boxes is None:
            return []
        tops = [float(np.min(box[:, 1])) for box in boxes]
        heights = [float(np.ptp(box[:, 1])) for box in boxes]
        order = sorted(range(len(texts)),
                       key=lambda i: (round(tops[i] / 16), float(np.min(boxes[i][:, 0]))))
        return [(str(texts[i]), float(scores[i]), heights[i]) for i in order]
