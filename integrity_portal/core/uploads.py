"""Upload safety shared by every app: ONE checker for complaint attachments, credit-repair evidence and
PSA photos, random stored names, and one way to serve a stored file.

The browser's content type and the file name are both under the uploader's control, so neither
decides anything. The bytes do: an allow-list of JPEG, PNG and PDF (per field: a PSA photo takes images
only), the magic at offset 0 *and* the format's end marker at the end (so a PNG with an HTML page
appended, or a PDF behind an HTML prefix, is refused), no HTML/SVG/script markers anywhere, images fully
decoded by Pillow (only its JPEG and PNG plugins are even tried: EPS would run Ghostscript) under a pixel
cap, PDFs parsed by pypdf with at least one page and no active content. The stored extension and the
served ``Content-Type`` come from the *detected* type; the client's name survives only as text.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import unicodedata
import warnings
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from .errors import ValidationFailed

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
IMAGE_TYPES = frozenset({JPEG, PNG})
DOCUMENT_TYPES = frozenset({JPEG, PNG, PDF})

#: The extension a checked upload is stored under, by detected type.
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}
#: The only stored extensions served with their own type; any other is ``application/octet-stream``
#: (files stored before the checker kept the client's extension: ``.html``, ``.hta``, ``.exe``).
SERVED_TYPES = {".jpg": JPEG, ".jpeg": JPEG, ".png": PNG, ".pdf": PDF}
FALLBACK_TYPE = "application/octet-stream"

_MAGIC = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF))
# What must end the file (after optional trailing whitespace): JPEG EOI, PNG IEND chunk with its CRC, PDF %%EOF.
_END = {JPEG: b"\xff\xd9", PNG: b"IEND\xaeB`\x82", PDF: b"%%EOF"}
# Pillow plugins tried per detected type; MPO is a camera's multi-picture JPEG, still JPEG bytes.
_PILLOW_FORMATS = {JPEG: ("JPEG", "MPO"), PNG: ("PNG",)}
_TRAILING_SPACE = b" \t\r\n\x0c"
# Tags a browser would render as a page, and script URLs. In images only the metadata is searched
# (``_markup_region``): compressed pixel data matched "<svg" + delimiter by chance in about one 5 MB
# JPEG in 3,000, refusing a shopkeeper's honest photo.
_MARKUP = re.compile(
    rb"<(?:script|html|svg|iframe|object|embed|body|frameset|\?php|!doctype)(?=[\s>/])|javascript:|vbscript:",
    re.IGNORECASE,
)
_PDF_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/RichMediaExecute"}
# Control, format (U+202E turns "gpj.exe" around on screen) and surrogate characters.
_CONTROL_CATEGORIES = {"Cc", "Cf", "Cs"}
ORIGINAL_NAME_MAX = 200


def _markup_region(data: bytes, content_type: str) -> bytes:
    """The bytes a hidden page could sit in: all of a PDF; an image's metadata, not its pixel data.

    JPEG: the segments before the first start-of-scan and whatever follows the end-of-image marker
    (entropy-coded data cannot hold FF D9, so its first occurrence after the scan is the real end).
    PNG: every chunk's data except the compressed IDAT pixels. A chunk list that does not add up is
    searched whole, so a malformed file is never searched less.
    """
    if content_type == JPEG:
        sos = data.find(b"\xff\xda")
        if sos < 0:
            return data
        eoi = data.find(b"\xff\xd9", sos)
        return data[:sos] + (data[eoi:] if eoi >= 0 else b"")
    if content_type == PNG:
        parts, pos = [], 8
        while pos + 8 <= len(data):
            length = int.from_bytes(data[pos : pos + 4], "big")
            kind = data[pos + 4 : pos + 8]
            end = pos + 12 + length
            if end > len(data):
                return data
            if kind != b"IDAT":
                parts.append(data[pos + 8 : pos + 8 + length])
            pos = end
            if kind == b"IEND":
                parts.append(data[pos:])
                return b"".join(parts)
        return data
    return data


@dataclass(frozen=True)
class CheckedUpload:
    """What the checker found: the detected type and extension, the size, the client's name as text."""

    content_type: str
    extension: str
    size: int
    original_name: str


def clean_original_name(name, *, max_length: int = ORIGINAL_NAME_MAX) -> str:
    """The client's file name as plain text: last path part, no control/format characters, bounded."""
    text = os.path.basename(str(name or "").replace("\\", "/"))
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _CONTROL_CATEGORIES).strip()
    return text[:max_length] or _("未命名文件")


def _refuse(field: str, message: str):
    return ValidationFailed(message, details={field: message})


def check_upload(
    upload, *, allowed: frozenset[str] = DOCUMENT_TYPES, max_bytes: int | None = None, field: str = "file"
) -> CheckedUpload:
    """Verify an upload by content and rename it ``upload<detected ext>``; raise ValidationFailed otherwise.

    Renaming is what makes ``RandomUploadPath`` store the detected extension. Calling it again on the same
    upload (a form, then the service) re-checks the bytes and keeps the first original name.
    """
    previous = getattr(upload, "checked_upload", None)
    original = previous.original_name if previous else clean_original_name(getattr(upload, "name", ""))
    limit = max_bytes or settings.MAX_ATTACHMENT_BYTES
    kinds = _("JPEG、PNG 或 PDF 文件") if PDF in allowed else _("JPEG 或 PNG 图片")
    size = upload.size or 0
    if size <= 0:
        raise _refuse(field, _("文件“%(name)s”是空文件。") % {"name": original})
    too_large = _("文件“%(name)s”超过 %(mb)s MB。") % {"name": original, "mb": f"{limit / (1024 * 1024):g}"}
    if size > limit:
        raise _refuse(field, too_large)
    upload.seek(0)
    data = upload.read(limit + 1)
    upload.seek(0)
    if len(data) > limit:  # the declared size lied
        raise _refuse(field, too_large)
    content_type = next((ct for magic, ct in _MAGIC if data.startswith(magic)), None)
    if content_type not in allowed:
        raise _refuse(field, _("文件“%(name)s”不是 %(kinds)s。") % {"name": original, "kinds": kinds})
    if not data.rstrip(_TRAILING_SPACE).endswith(_END[content_type]) or _MARKUP.search(
        _markup_region(data, content_type)
    ):
        raise _refuse(
            field,
            _("文件“%(name)s”不是完整的 %(kinds)s，或夹带了网页、脚本等其他内容。")
            % {"name": original, "kinds": kinds},
        )
    if content_type == PDF:
        _check_pdf(data, original, field)
    else:
        _check_image(data, content_type, original, field)
    checked = CheckedUpload(content_type, EXTENSIONS[content_type], len(data), original)
    upload.name = "upload" + checked.extension
    upload.checked_upload = checked
    return checked


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one ``<input type=file multiple>``, cleaned to a list (empty when none).

    ``allowed`` sets the input's ``accept`` list. With ``check_as`` (the field name the service reports
    on) each file is also checked by ``check_upload`` here, so the form shows the service's message next
    to the field; the service checks again either way (the first original name is kept).
    """

    def __init__(self, *args, allowed: frozenset[str] = DOCUMENT_TYPES, check_as: str = "", **kwargs):
        self.allowed = frozenset(allowed)
        self.check_as = check_as
        accept = ",".join(ct for ct in (JPEG, PNG, PDF) if ct in self.allowed)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        if self.required and not cleaned:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if self.check_as:
            for f in cleaned:
                try:
                    check_upload(f, allowed=self.allowed, field=self.check_as)
                except ValidationFailed as exc:
                    raise forms.ValidationError(exc.message) from None
        return cleaned


def _check_image(data: bytes, content_type: str, original: str, field: str) -> None:
    from PIL import Image

    max_pixels = getattr(settings, "MAX_UPLOAD_IMAGE_PIXELS", 40_000_000)
    formats = _PILLOW_FORMATS[content_type]
    bomb = _refuse(
        field,
        _("图片“%(name)s”像素过多（上限 %(mp)d 百万像素），请缩小后再上传。")
        % {"name": original, "mp": max_pixels // 1_000_000},
    )
    broken = _refuse(field, _("文件“%(name)s”不是完整有效的图片。") % {"name": original})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(formats)) as img:
                if img.format not in formats:
                    raise broken
                width, height = img.size
                if width * height > max_pixels:
                    raise bomb
                img.load()  # decode every pixel: verify() alone accepts truncated or corrupt data
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise bomb from None
    except Exception:  # Pillow raises many types (OSError, SyntaxError, ValueError, struct.error …)
        raise broken from None


def _check_pdf(data: bytes, original: str, field: str) -> None:
    from pypdf import PdfReader

    broken = _refuse(field, _("文件“%(name)s”不是完整有效的 PDF 文件。") % {"name": original})
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse(field, _("PDF“%(name)s”已加密，请上传未加密的文件。") % {"name": original})
        pages = reader.pages
        if len(pages) < 1:
            raise broken
        active = _pdf_has_active_content(reader)
    except ValidationFailed:
        raise
    except Exception:  # pypdf's PdfReadError and whatever a malformed object graph raises
        raise broken from None
    if active:
        raise _refuse(
            field,
            _("PDF“%(name)s”含有脚本、附件或自动执行的动作，请另存为普通 PDF 后上传。") % {"name": original},
        )


def _pdf_action_is_active(action) -> bool:
    action = action.get_object() if hasattr(action, "get_object") else action
    return hasattr(action, "get") and action.get("/S") in _PDF_ACTIVE_ACTIONS


def _pdf_has_active_content(reader) -> bool:
    """Scripts, launch actions, embedded files and automatic actions in the catalog, pages and links."""
    root = reader.trailer["/Root"].get_object()
    names = root.get("/Names")
    names = names.get_object() if names is not None else {}
    if "/JavaScript" in names or "/EmbeddedFiles" in names or "/AA" in root:
        return True
    form = root.get("/AcroForm")
    if form is not None and "/XFA" in form.get_object():
        return True
    if root.get("/OpenAction") is not None and _pdf_action_is_active(root["/OpenAction"]):
        return True
    for index, page in enumerate(reader.pages):
        if index >= 500:
            break
        if "/AA" in page:
            return True
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/FileAttachment" or "/AA" in annot:
                return True
            if annot.get("/A") is not None and _pdf_action_is_active(annot["/A"]):
                return True
    return False


@deconstructible
class RandomUploadPath:
    """``upload_to``: ``<prefix>/<2 hex>/<32 hex><ext>``, the extension only if it is an allow-listed one.

    ``check_upload`` renames a checked upload ``upload<detected ext>``, so the stored extension is the
    detected type's; a name that did not pass the checker gets no extension (served as octet-stream).
    """

    def __init__(self, prefix: str):
        self.prefix = prefix.strip("/")

    def __call__(self, instance, filename: str) -> str:
        ext = os.path.splitext(filename)[1].lower()
        ext = EXTENSIONS[SERVED_TYPES[ext]] if ext in SERVED_TYPES else ""
        token = secrets.token_hex(16)
        return f"{self.prefix}/{token[:2]}/{token}{ext}"

    def __eq__(self, other) -> bool:
        return isinstance(other, RandomUploadPath) and other.prefix == self.prefix


def served_type(stored_name: str) -> tuple[str, str]:
    """(Content-Type, extension) to serve a stored file under: from the allow-list, never guessed."""
    ext = os.path.splitext(stored_name or "")[1].lower()
    if ext in SERVED_TYPES:
        return SERVED_TYPES[ext], EXTENSIONS[SERVED_TYPES[ext]]
    return FALLBACK_TYPE, ".bin"


def private_file_response(fieldfile, *, download_name: str | None = None):
    """Serve an uploaded file to an already-authorised viewer: always a download, never sniffed or cached.

    The type comes from the stored extension's allow-list (an old ``.html`` is octet-stream); the
    download name is the original name's stem (as text) with the served extension.
    """
    from django.http import FileResponse, Http404

    if not fieldfile:
        raise Http404
    content_type, ext = served_type(fieldfile.name)
    try:
        handle = fieldfile.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    stem = os.path.splitext(clean_original_name(download_name))[0] if download_name else ""
    name = (stem or "file")[:100] + ext
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- tables (CSV / XLSX) imported by staff: platform work orders, list entries decided elsewhere ------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
#: Upper bounds of one imported table: bytes of the file and data rows (header excluded).
TABLE_MAX_BYTES = 5 * 1024 * 1024
TABLE_MAX_ROWS = 5000


def _cell_text(value) -> str:
    """A spreadsheet cell as stripped text; dates and datetimes in ISO form (the import parses them)."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table_upload(
    upload, *, max_bytes: int = TABLE_MAX_BYTES, max_rows: int = TABLE_MAX_ROWS, field: str = "file"
) -> tuple[list[str], list[list[str]]]:
    """The header and data rows of an uploaded CSV (UTF-8, with or without BOM, or GB18030 as the
    platforms export it) or XLSX (first sheet) as text; ValidationFailed for anything else, an empty
    table, a file over ``max_bytes`` or more than ``max_rows`` rows. Fully blank rows are dropped."""
    import csv

    original = clean_original_name(getattr(upload, "name", ""))
    size = upload.size or 0
    if size <= 0:
        raise _refuse(field, _("文件“%(name)s”是空文件。") % {"name": original})
    too_large = _("文件“%(name)s”超过 %(mb)s MB。") % {"name": original, "mb": f"{max_bytes / (1024 * 1024):g}"}
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    upload.seek(0)
    if size > max_bytes or len(data) > max_bytes:
        raise _refuse(field, too_large)
    not_table = _("文件“%(name)s”不是 CSV 或 Excel（.xlsx）表格。") % {"name": original}
    if data.startswith(b"PK\x03\x04"):
        import openpyxl

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = book.worksheets[0]
            rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            book.close()
        except Exception:  # noqa: BLE001 - any unreadable workbook is the uploader's error, never a 500
            raise _refuse(field, not_table) from None
    else:
        if b"\x00" in data:
            raise _refuse(field, not_table)
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise _refuse(field, not_table)
        if _MARKUP.search(data):
            raise _refuse(field, not_table)
        try:
            rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
        except csv.Error:
            raise _refuse(field, not_table) from None
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows or not any(rows[0]):
        raise _refuse(field, _("文件“%(name)s”没有表头或数据行。") % {"name": original})
    header, body = [h.strip() for h in rows[0]], rows[1:]
    while header and not header[-1]:
        header.pop()
    if not body:
        raise _refuse(field, _("文件“%(name)s”没有表头或数据行。") % {"name": original})
    if len(body) > max_rows:
        raise _refuse(field, _("文件“%(name)s”超过 %(n)d 行，请分批导入。") % {"name": original, "n": max_rows})
    width = len(header)
    return header, [(row + [""] * width)[:width] for row in body]
