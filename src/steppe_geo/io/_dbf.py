"""Which text encoding a shapefile's DBF is in, when nothing says so.

GDAL reads a shapefile's attributes in the encoding named by its ``.cpg`` file, else by the
DBF header's language-driver byte (LDID), else as ISO-8859-1. Legacy Chinese (GBK), Cyrillic
(cp1251) or Western (cp1252) shapefiles often have neither, so their names come out garbled
without a word. :func:`undeclared_encoding` finds such files from the DBF bytes (header layout:
dBASE III, see https://www.clicketyclick.dk/databases/xbase/format/dbf.html).
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

_CJK = re.compile(r"[\u3400-\u9fff]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
MAX_BYTES = 4_000_000
"""DBF bytes examined at most (the header and the first records)."""


@dataclass(frozen=True)
class EncodingProblem:
    """Non-ASCII DBF text that is not UTF-8, with nothing declaring its encoding."""

    dbf: str
    sample: bytes
    suggestion: str
    decoded: str

    def message(self, label: str) -> str:
        """An error message about file ``label``."""
        garbled = self.sample.decode("latin-1")
        return (
            f"vector file {label!r}: its attribute table ({Path(self.dbf).name}) holds text that is not "
            "UTF-8, and no .cpg file (nor the DBF header) says which encoding it is, so names would be "
            f"read garbled (as ISO-8859-1: {garbled!r}). The bytes read as {self.suggestion!r} give "
            f"{self.decoded!r}. Pass encoding={self.suggestion!r} (in a configuration: encoding = "
            f"\"{self.suggestion}\" in its [sources.<name>] table), or add a .cpg file beside it holding "
            f"{self.suggestion.upper()}."
        )


def _dbf_bytes(path: Path) -> tuple[str, bytes, bool] | None:
    """(DBF name, its first bytes, has a .cpg) of a shapefile (also zipped), or None for other files."""
    suffix = path.suffix.lower()
    if suffix in (".shp", ".dbf"):
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
        if dbf is None:
            return None
        has_cpg = path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists()
        with open(dbf, "rb") as f:
            return str(dbf), f.read(MAX_BYTES), has_cpg
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
                dbfs = [n for n in names if n.lower().endswith(".dbf")]
                if len(dbfs) != 1:
                    return None
                stem = dbfs[0][:-4]
                has_cpg = any(n.lower() == f"{stem}.cpg".lower() for n in names)
                with z.open(dbfs[0]) as f:
                    return f"{path}/{dbfs[0]}", f.read(MAX_BYTES), has_cpg
        except (zipfile.BadZipFile, OSError):
            return None
    return None


def _text_bytes(raw: bytes) -> tuple[int, bytes]:
    """(LDID byte, the character-field bytes of the records in ``raw``) of a dBASE file."""
    if len(raw) < 32:
        return 0, b""
    n_records, header_len, record_len = struct.unpack("<IHH", raw[4:12])
    ldid = raw[29]
    fields: list[tuple[int, int]] = []  # (offset in record, length) of C fields
    pos, offset = 32, 1  # a record starts with its deletion flag
    while pos + 32 <= min(header_len, len(raw)) and raw[pos] != 0x0D:
        ftype, flen = chr(raw[pos + 11]), raw[pos + 16]
        if ftype == "C":
            fields.append((offset, flen))
        offset += flen
        pos += 32
    chunks = []
    for i in range(n_records):
        start = header_len + i * record_len
        if start + record_len > len(raw):
            break
        chunks += [raw[start + o:start + o + n].rstrip(b" \x00") for o, n in fields]
    return ldid, b"\n".join(c for c in chunks if c)


def undeclared_encoding(path: Path) -> EncodingProblem | str | None:
    """What to do about a shapefile whose DBF text has no declared encoding.

    Returns
    -------
    EncodingProblem, "utf-8" or None
        A problem when non-ASCII text is not UTF-8 (with the likely encoding); ``"utf-8"`` when it
        is valid UTF-8 (GDAL would read it as ISO-8859-1); None for other formats, shapefiles with
        a ``.cpg`` or a language-driver byte, and ASCII text.
    """
    found = _dbf_bytes(path)
    if found is None:
        return None
    dbf, raw, has_cpg = found
    if has_cpg:
        return None
    ldid, text = _text_bytes(raw)
    if ldid != 0 or text.isascii():
        return None
    try:
        text.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    line = next(t for t in text.split(b"\n") if not t.isascii())[:60]
    suggestion = "cp1252"
    for enc, script in (("gbk", _CJK), ("big5", _CJK), ("cp1251", _CYRILLIC)):
        try:
            decoded = text.decode(enc)
        except UnicodeDecodeError:
            continue
        non_ascii = [c for c in decoded if ord(c) > 127]
        if non_ascii and sum(bool(script.match(c)) for c in non_ascii) >= 0.5 * len(non_ascii):
            suggestion = enc
            break
    return EncodingProblem(dbf, line, suggestion, line.decode(suggestion, errors="replace"))
