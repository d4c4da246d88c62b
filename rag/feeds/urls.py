"""Canonical URLs and the article ids derived from them: one article, one id, whatever link led to it."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from rag.errors import InputError

# Query parameters that say how a reader arrived, not which page they read: campaign tags (utm_*, RFI's
# xtor, BBC's at_*), ad and social click ids, analytics cookies.
_TRACKING = re.compile(r"^(utm_\w*|at_\w+|xtor|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|igshid|twclid|"
                       r"mc_cid|mc_eid|_ga|_gl|spm|ref_src|cmpid|ocid)$", re.I)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str, base: str | None = None) -> str:
    """`url` (resolved against `base`) without its fragment and tracking parameters, with the scheme and host
    in lower case and no default port; an InputError if it is not an http(s) URL."""
    raw = urljoin(base, url.strip()) if base else url.strip()
    try:
        parts = urlsplit(raw)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError as exc:
        raise InputError(f"{raw[:200]!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not host:
        raise InputError(f"{raw[:200]!r} is not an http(s) URL")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    query = "&".join(p for p in parts.query.split("&") if p and not _TRACKING.match(unquote_plus(p.split("=")[0])))
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def host_of(url: str) -> str:
    """The host name of a URL ('' when it has none): requests to one host are spaced out."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


def doc_id_for(canonical: str) -> str:
    """The article id of a canonical URL: its host and a hash, e.g. `www.rfi.fr_3f2a9c0d1e4b5a67`; stable
    across restarts, and within the id rules of rag.sources (letters, digits, '_', '-', '.')."""
    host = re.sub(r"[^\w.-]+", "-", host_of(canonical), flags=re.ASCII).strip(".-")[:80] or "feed"
    return f"{host}_{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


def feed_id_for(url: str) -> str:
    """A feed's short id, from its canonical URL."""
    return hashlib.sha256(url.encode()).hexdigest()[:12]
