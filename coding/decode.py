"""Raw input -> plain text: binary detection, character encodings, HTML to text.

The policy (README, "Robustness"):

- **binary**: a known file signature (PNG, JPEG, GIF, PDF, ZIP and the Office/EPUB formats built on
  it, gzip, xz, 7-Zip, zstd, ELF, OLE2) or a NUL byte in the first 8 KiB is "not text" (in a JSONL
  file a signature rejects the file, a NUL byte only its line; in a CSV file a NUL is a character);
- **byte-order mark**: decides the encoding (UTF-8, UTF-16 LE/BE, UTF-32 LE/BE);
- **UTF-8** otherwise. When that fails and the bytes hold no UTF-8 multi-byte sequence at all (every
  byte >= 0x80 stands alone, as in a single-byte encoding), the text is read as **Windows-1252**
  (a superset of Latin-1 in its printable range) and the document's reason says so; bytes that are
  broken UTF-8, or that Windows-1252 leaves undefined, are "undecodable";
- the text is NFC-normalised;
- **HTML** (an ``.html``/``.htm`` file, or a text that opens with ``<!doctype html>``/``<html>`` or
  holds several common tags) is reduced to its text with the standard library's ``html.parser``:
  ``script``, ``style``, ``noscript``, ``template``, ``svg``, ``iframe``, ``nav``, ``aside`` and the
  ``head`` (except ``title``) are dropped, block elements end a line (so a paragraph is never merged
  into the next sentence), entities are resolved and runs of spaces collapsed.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from html.parser import HTMLParser


class NotText(ValueError):
    """Bytes that are not a text this coder can read; the message is the rejection reason."""


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or docx/xlsx/odt/epub)"),
    (b"PK\x05\x06", "ZIP archive (empty)"),
    (b"\x1f\x8b", "gzip archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\x28\xb5\x2f\xfd", "zstd archive"),
    (b"\x7fELF", "executable (ELF)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Office document (OLE2: doc/xls)"),
)
# UTF-32 before UTF-16: the UTF-32 LE mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
SNIFF_BYTES = 8192


def sniff(head: bytes, nul_is_binary: bool = True) -> tuple[str, str] | None:
    """(codec, name) when ``head`` (the first bytes of a file) opens with a byte-order mark, else None.
    Raises NotText for a binary file: a known signature, or (``nul_is_binary``) a NUL byte."""
    for mark, codec, name in _BOMS:
        if head.startswith(mark):
            return codec, name
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            raise NotText(f"not text: {kind}")
    if nul_is_binary and b"\x00" in head[:SNIFF_BYTES]:
        raise NotText("not text: binary data (NUL bytes)")
    return None


def decode(raw: bytes, nul_is_binary: bool = True) -> tuple[str, str | None]:
    """(NFC text, note) from the bytes of a file or line; the note names a fallback encoding.
    Raises NotText with the reason."""
    bom = sniff(raw[:SNIFF_BYTES], nul_is_binary)
    if bom is not None:
        codec, name = bom
        try:
            return unicodedata.normalize("NFC", raw.decode(codec)), (None if name == "UTF-8" else f"decoded as {name} (byte-order mark)")
        except UnicodeDecodeError as err:
            raise NotText(f"undecodable: invalid {name} (byte offset {err.start})") from None
    try:
        return unicodedata.normalize("NFC", raw.decode("utf-8")), None
    except UnicodeDecodeError as err:
        utf8_error = f"undecodable: invalid UTF-8 (byte 0x{raw[err.start]:02x} at offset {err.start})"
    if _UTF8_SEQUENCE.search(raw):
        raise NotText(utf8_error + ", in a text that is otherwise UTF-8")
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as err:
        raise NotText(f"{utf8_error}, and not Windows-1252 either (byte 0x{raw[err.start]:02x})") from None
    return unicodedata.normalize("NFC", text), "decoded as Windows-1252 (not valid UTF-8)"


_HTML_START = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
_HTML_TAG = re.compile(
    r"</?(?:p|div|br|span|a|b|i|em|strong|h[1-6]|li|ul|ol|table|tr|td|script|style|article|section|img|meta|link)\b[^<>]{0,500}>",
    re.I,
)
_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "nav", "aside", "head"})
_BLOCK = frozenset({
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "article", "section", "header", "footer", "main", "blockquote", "pre", "hr", "figcaption", "title", "td", "th",
})
_SPACES = re.compile(r"[^\S\n]+")


def looks_like_html(text: str) -> bool:
    """An HTML page or fragment: opens with a doctype/<html>/<head>/<body>, or holds 3+ common tags."""
    if _HTML_START.match(text[:4096]):
        return True
    return sum(1 for _ in zip(range(3), _HTML_TAG.finditer(text, 0, 65536))) == 3


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.skipping: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        if tag == "body":  # a <head> left open ends where the body starts
            self.skipping.clear()
        if tag == "title":
            self.in_title = True
        elif tag in _SKIP:
            self.skipping.append(tag)
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag == "title":
            self.in_title = False
        elif tag in self.skipping:
            while self.skipping and self.skipping.pop() != tag:
                pass
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.parts.append(data)


def html_to_text(page: str) -> tuple[str, str | None]:
    """(text, title) of an HTML page: one line per block, spaces collapsed, empty lines dropped."""
    parser = _TextExtractor()
    parser.feed(page)
    parser.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(parser.parts).split("\n"))
    title = _SPACES.sub(" ", " ".join(parser.title)).strip() or None
    return "\n".join(line for line in lines if line), title
