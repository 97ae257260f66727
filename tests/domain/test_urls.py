from __future__ import annotations

import pytest

from vidgov.domain.urls import redact_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("rtsp://admin:12345@10.0.0.1:554/h264", "rtsp://***@10.0.0.1:554/h264"),
        ("rtsp://user@10.0.0.1/live", "rtsp://***@10.0.0.1/live"),
        ("rtsp//admin:s3cret@10.0.0.1/live", "rtsp//***@10.0.0.1/live"),
        ("admin:pw@10.0.0.1:554", "***@10.0.0.1:554"),
        ("rtsp://10.0.0.1:554/Streaming/Channels/101", "rtsp://10.0.0.1:554/Streaming/Channels/101"),
    ],
)
def test_credentials_never_survive(url: str, shown: str) -> None:
    assert redact_url(url) == shown
