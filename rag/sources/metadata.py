"""Dates and outlets: dates in any of the forms news files use, normalised to ISO 8601; outlet names from URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

# Outlet names for known hosts; other hosts fall back to the host name.
OUTLETS = {
    "rfi.fr": "RFI 法广",
    "rfa.org": "RFA 自由亚洲电台",
    "aljazeera.net": "Aljazeera 半岛网",
    "bbc.com": "BBC",
    "voachinese.com": "VOA 美国之音",
    "dw.com": "DW 德国之声",
}


def outlet_for(url: str | None) -> str | None:
    """The outlet's name for a known host, else the host without "www."; None without a usable URL."""
    if not url:
        return None
    try:
        host = (urlparse(url).hostname or "").lower()
    except ValueError:  # a malformed URL ("http://[::1"): the article builder reports it
        return None
    for domain, name in OUTLETS.items():
        if host == domain or host.endswith("." + domain):
            return name
    return host.removeprefix("www.") or None


def iso_date(value: object) -> str | None:
    """Normalise a date (ISO, RFC 2822, epoch s/ms) to ISO 8601; None if it cannot be read."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        n = int(value)
        if n > 10**11:
            n //= 1000
        try:
            return datetime.fromtimestamp(n, tz=UTC).isoformat()
        except (OverflowError, OSError, ValueError):  # an epoch beyond any calendar
            return None
    s = str(value).strip()
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).isoformat()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(s).isoformat()
    except (TypeError, ValueError):
        pass
    for fmt in ("%Y/%m/%d", "%Y年%m月%d日", "%d/%m/%Y - %H:%M"):
        try:
            return datetime.strptime(s, fmt).isoformat()
        except ValueError:
            continue
    return None
