"""Real and hostile upload payloads, built here (not copied from the checker) for every upload test."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def png_bytes(size=(4, 4), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG", **save)
    return buffer.getvalue()


def jpeg_bytes(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 30, 200)).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def pdf_bytes(pages: int = 1, *, javascript: str | None = None) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if javascript:  # an /OpenAction that runs a script when the document is opened
        from pypdf.generic import DictionaryObject, NameObject, TextStringObject

        action = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject(javascript),
            }
        )
        writer.root_object[NameObject("/OpenAction")] = writer._add_object(action)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def eps_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 0, 0)).save(buffer, format="EPS")
    return buffer.getvalue()


def gif_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 0, 0)).save(buffer, format="GIF")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit greyscale PNG of width × height pixels that compresses to a few tens of kB."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def png_with_text(text: bytes) -> bytes:
    """A valid PNG carrying ``text`` in a tEXt chunk (a polyglot hides a page in metadata)."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", text.decode("latin-1"))
    return png_bytes(pnginfo=info)
