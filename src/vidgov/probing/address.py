"""Stream addresses taken apart: which protocol, where to connect, and the credentials kept aside.

The credentials are separated here so that nothing downstream ever sends, logs or stores a URL
with ``user:pass@`` in it: requests use :attr:`StreamAddress.request_url`, messages use
:attr:`StreamAddress.shown`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from vidgov.domain.urls import redact_url


class StreamProtocol(StrEnum):
    """The stream protocols cameras and platforms hand out."""

    RTSP = "rtsp"
    HTTP_FLV = "http_flv"
    HLS = "hls"


_DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}


class UnsupportedAddress(ValueError):
    """An address no transport here can probe (unknown scheme, no host)."""


@dataclass(frozen=True)
class StreamAddress:
    """A parsed stream URL. ``repr`` and ``shown`` never contain the credentials."""

    protocol: StreamProtocol
    scheme: str
    host: str
    port: int
    request_url: str  # the URL without user info: what goes on the wire
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def tls(self) -> bool:
        """Whether the connection is wrapped in TLS (``rtsps``, ``https``)."""
        return self.scheme in {"rtsps", "https"}

    @property
    def shown(self) -> str:
        """The address as it may be logged, stored and shown."""
        return redact_url(self.request_url)


def parse_address(url: str) -> StreamAddress:
    """Take ``url`` apart; raises :class:`UnsupportedAddress` (with the URL redacted) if unusable.

    HTTP addresses are HLS when the path ends in ``.m3u8``, HTTP-FLV otherwise (``.flv`` or a
    platform's live path).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise UnsupportedAddress(f"not a stream address: {redact_url(url)!r} ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise UnsupportedAddress(
            f"unsupported scheme {scheme!r} in {redact_url(url)!r}; expected rtsp, rtsps, "
            "http or https"
        )
    if not parts.hostname:
        raise UnsupportedAddress(f"no host in {redact_url(url)!r}")
    if scheme.startswith("rtsp"):
        protocol = StreamProtocol.RTSP
    elif parts.path.lower().endswith(".m3u8"):
        protocol = StreamProtocol.HLS
    else:
        protocol = StreamProtocol.HTTP_FLV
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port is not None:
        netloc = f"{netloc}:{port}"
    request_url = parts._replace(netloc=netloc, scheme=scheme).geturl()
    return StreamAddress(
        protocol=protocol,
        scheme=scheme,
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[scheme],
        request_url=request_url,
        user=unquote(parts.username) if parts.username is not None else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )
