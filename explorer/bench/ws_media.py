"""The one HTTP request a simulated session makes: GET an image from Streamlit's media endpoint, as a browser does.

An `st.image` reaches the page as a URL (`/media/<hash>.png`), and the browser shows it only once it has fetched
it, so a click-to-image time ends with the fetch. A plain HTTP/1.1 GET on an asyncio connection (one per image, as
the many sessions would each open their own) keeps hundreds of sessions in one event loop without a thread each.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urljoin, urlsplit

FETCH_TIMEOUT_S = 30.0


async def fetch(base_url: str, url: str, timeout: float = FETCH_TIMEOUT_S) -> bytes:
    """The body of GET `url` (relative to `base_url`); OSError on anything but a 200 or on a timeout."""
    parts = urlsplit(urljoin(base_url + "/", url))
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        return await asyncio.wait_for(_get(parts.hostname, parts.port or 80, parts.netloc, path), timeout)
    except TimeoutError as error:
        raise OSError(f"no answer in {timeout} s") from error
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError) as error:
        raise OSError(f"a malformed answer: {error!r}") from error


async def _get(host: str, port: int, netloc: str, path: str) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {netloc}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        body = await reader.read()  # Connection: close: the body ends with the connection
    finally:
        writer.close()
    if status != b"200":
        raise OSError(f"HTTP {status.decode()} for {path}")
    if b"chunked" in head.lower():
        return _unchunk(body)
    return body


def _unchunk(body: bytes) -> bytes:
    """A chunked transfer's body, joined."""
    out, at = bytearray(), 0
    while True:
        line_end = body.index(b"\r\n", at)
        size = int(body[at:line_end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += body[line_end + 2:line_end + 2 + size]
        at = line_end + 4 + size
