"""Stream addresses, with the credentials people paste into them taken out before display."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>^[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/@\s]*@)")


def redact_url(url: str) -> str:
    """``rtsp://admin:12345@10.0.0.1/x`` -> ``rtsp://***@10.0.0.1/x``: safe to log, store, show."""
    return _USERINFO.sub(r"\g<scheme>***@", url)
