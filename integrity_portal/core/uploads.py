"""Upload safety shared by every app: type by content, size cap, random stored names.

The browser's content type and the file name are both under the uploader's
control, so they are ignored: the first bytes decide, and images must also
decode. Stored names are random so a file's URL cannot be guessed from its
original name.
"""

from __future__ import annotations

import io
import os
import secrets

from django.conf import settings
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from .errors import ValidationFailed

_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)


def sniff_upload(upload, *, allow_pdf: bool = True, max_bytes: int | None = None) -> tuple[str, str]:
    """Return (content type, extension) decided by the bytes, or raise ValidationFailed."""
    limit = max_bytes or settings.MAX_ATTACHMENT_BYTES
    if upload.size > limit:
        raise ValidationFailed(
            _("文件“%(name)s”超过 %(mb)d MB。") % {"name": upload.name, "mb": limit // (1024 * 1024)}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = next(((ct, ext) for magic, ct, ext in _MAGIC if head.startswith(magic)), None)
    if found is None or (found[0] == "application/pdf" and not allow_pdf):
        kinds = _("JPEG、PNG 或 PDF") if allow_pdf else _("JPEG 或 PNG")
        raise ValidationFailed(
            _("文件“%(name)s”不是 %(kinds)s 文件。") % {"name": upload.name, "kinds": kinds}
        )
    if found[0].startswith("image/"):
        from PIL import Image

        try:
            with Image.open(io.BytesIO(upload.read())) as img:
                img.verify()
        except Exception:
            raise ValidationFailed(_("文件“%(name)s”不是完整有效的图片。") % {"name": upload.name}) from None
        finally:
            upload.seek(0)
    return found


@deconstructible
class RandomUploadPath:
    """``upload_to`` that keeps only the extension: ``<prefix>/<2 hex>/<32 hex><ext>``."""

    def __init__(self, prefix: str):
        self.prefix = prefix.strip("/")

    def __call__(self, instance, filename: str) -> str:
        ext = os.path.splitext(filename)[1].lower()[:6]
        token = secrets.token_hex(16)
        return f"{self.prefix}/{token[:2]}/{token}{ext}"

    def __eq__(self, other) -> bool:
        return isinstance(other, RandomUploadPath) and other.prefix == self.prefix


def private_file_response(fieldfile, *, download_name: str | None = None):
    """Serve an uploaded file to an already-authorised viewer: always a download, never sniffed or cached."""
    from django.http import FileResponse, Http404

    if not fieldfile:
        raise Http404
    try:
        handle = fieldfile.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = download_name or os.path.basename(fieldfile.name)
    response = FileResponse(handle, as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
