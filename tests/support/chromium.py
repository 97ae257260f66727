"""How the project runs Debian's Chromium: headless, and reaching out to no host on its own
(without the networking flags it floods a closed network with refused connections)."""

from __future__ import annotations

from typing import Final

CHROMIUM_ARGS: Final = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
