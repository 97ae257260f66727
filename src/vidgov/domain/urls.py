"""Stream addresses, with the credentials people paste into them taken out before display."""

from __future__ import annotations

import re

#: Anything up to an "@" within one address segment: "admin:12345@" in a well-formed URL, and
#: also in the malformed ones clerks type ("rtsp//admin:12345@10.0.0.1"). Over-redacting an
#: "@" in a path is harmless; leaking a password is not.
_USERINFO = re.compile(r"[^\s/@]+@")


def redact_url(url: str) -> str:
    """``rtsp://admin:12345@10.0.0.1/x`` -> ``rtsp://***@10.0.0.1/x``: safe to log, store, show."""
    return _USERINFO.sub("***@", url)
