"""Read the files planners actually have, without guessing silently.

Formats: GeoPackage, GeoJSON, Shapefile (attribute encoding from ``.cpg``; without one, UTF-8
is tried and then GBK/GB18030), CSV and XLSX (with lon/lat columns, or joined to villages by
the 12-digit code). Text encodings: UTF-8, UTF-8 with BOM, GBK/GB18030 (detected). Every
value is read as text first so that leading zeros of codes survive; typing happens in
:mod:`geo.validate`, which reports each bad cell by row and column.
"""

from __future__ import annotations

import codecs
import io
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.report import Report

__all__ = ["RawTable", "TABLE_SUFFIXES", "VECTOR_SUFFIXES", "read_raw"]

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip")
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
_ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")


@dataclass
class RawTable:
    """A file as read: a (Geo)DataFrame of text cells and how it was read.

    Attributes
    ----------
    frame : DataFrame or GeoDataFrame
        Cells as read (tables: all text; vectors: as the driver typed them).
    file : str
        The path, for messages.
    is_vector : bool
        Vector files carry geometry; tables may carry lon/lat columns.
    row_offset : int
        Add to a 0-based index to get the row number the planner sees (tables: 2, vectors: 1).
    encoding : str or None
        The text encoding used.
    """

    frame: pd.DataFrame
    file: str
    is_vector: bool
    row_offset: int
    encoding: str | None = None


def _decode(data: bytes, file: str, layer: str, report: Report) -> tuple[str, str] | None:
    for enc in _ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is not None:
            return str(best), best.encoding
    except Exception:  # pragma: no cover - charset_normalizer optional path
        pass
    report.add(
        "error", "unknown_encoding", layer=layer, file=file,
        zh="无法识别文件编码（不是 UTF-8 或 GBK/GB18030）",
        en="cannot detect the text encoding (not UTF-8 or GBK/GB18030)",
        fix_zh="在 Excel/WPS 中“另存为”CSV UTF-8 格式后重新上传",
        fix_en="save the file again as 'CSV UTF-8' in Excel/WPS and upload it again",
    )
    return None


def _read_csv(path: Path, data: bytes, layer: str, report: Report) -> RawTable | None:
    decoded = _decode(data, str(path), layer, report)
    if decoded is None:
        return None
    text, enc = decoded
    if not text.strip():
        report.add(
            "error", "empty_file", layer=layer, file=path,
            zh="文件为空", en="the file is empty",
            fix_zh="检查是否上传了正确的文件", fix_en="check that you uploaded the right file",
        )
        return None
    try:
        sep = "\t" if text.splitlines()[0].count("\t") > text.splitlines()[0].count(",") else ","
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, sep=sep, skipinitialspace=True
        )
    except (pd.errors.ParserError, ValueError) as exc:
        report.add(
            "error", "unreadable_table", layer=layer, file=path,
            zh=f"CSV 无法解析：{exc}", en=f"the CSV cannot be parsed: {exc}",
            fix_zh="检查分隔符与引号是否一致，每行列数是否与表头相同",
            fix_en="check separators and quotes; every row must have as many cells as the header",
        )
        return None
    return RawTable(frame=frame, file=str(path), is_vector=False, row_offset=2, encoding=enc)


def _read_xlsx(path: Path, data: bytes, layer: str, report: Report, sheet) -> RawTable | None:
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=sheet or 0, dtype=object,
                              engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for corrupt files
        report.add(
            "error", "unreadable_table", layer=layer, file=path,
            zh=f"Excel 文件无法读取：{type(exc).__name__}",
            en=f"the Excel file cannot be read: {type(exc).__name__}",
            fix_zh="请用 Excel/WPS 打开后另存为 .xlsx 再上传（不支持旧版 .xls）",
            fix_en="open it in Excel/WPS, save as .xlsx and upload again (old .xls is not supported)",
        )
        return None
    frame = frame.map(_cell_text)
    frame.columns = [str(c) for c in frame.columns]
    return RawTable(frame=frame, file=str(path), is_vector=False, row_offset=2, encoding="xlsx")


def _cell_text(v) -> str:
    """Spreadsheet cell to text; integral floats lose their '.0' (codes typed as numbers)."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    return str(v).strip()


_SHAPE_LOCK = threading.Lock()


def _is_shapefile(path: Path) -> bool:
    if path.suffix.lower() == ".shp":
        return True
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                return any(n.lower().endswith(".shp") for n in zf.namelist())
        except zipfile.BadZipFile:
            return False
    return False


def _declared_cpg(path: Path) -> str | None:
    """The encoding named by the shapefile's .cpg (next to it, or inside its zip)."""
    text = None
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as zf:
            for n in zf.namelist():
                if n.lower().endswith(".cpg"):
                    text = zf.read(n).decode("ascii", "ignore")
                    break
    elif path.with_suffix(".cpg").exists():
        text = path.with_suffix(".cpg").read_text("ascii", "ignore")
    if not text or not text.strip():
        return None
    t = text.strip().lower().replace("-", "").replace("_", "")
    if t in ("utf8", "65001"):
        return "utf-8"
    if t in ("gbk", "936", "cp936", "gb2312", "gb18030", "ansi936"):
        return "gb18030"
    return text.strip()


def _read_shapefile(path: Path, layer: str, report: Report, kwargs) -> tuple[
        gpd.GeoDataFrame, str] | None:
    """Read a shapefile's bytes as Latin-1 and decode the text ourselves.

    GDAL assumes ISO-8859-1 without a .cpg, and a dBase field name is cut at 10 *bytes* —
    in UTF-8 that can split a Chinese character (乡镇代码 is 12 bytes), which makes a strict
    reader fail outright. Reading as Latin-1 keeps every byte; we then decode names and
    values as the .cpg says, or — without one — as UTF-8 if every value is valid UTF-8,
    else as GBK/GB18030 (what Chinese ArcGIS/QGIS installs write).
    """
    with _SHAPE_LOCK:  # a process-wide GDAL option: set, read, restore
        previous = pyogrio.get_gdal_config_option("SHAPE_ENCODING")
        pyogrio.set_gdal_config_options({"SHAPE_ENCODING": "ISO-8859-1"})
        try:
            frame = pyogrio.read_dataframe(path, **kwargs)
        finally:
            pyogrio.set_gdal_config_options({"SHAPE_ENCODING": previous})
    declared = _declared_cpg(path)
    geom = frame.geometry.name
    text_cols = [c for c in frame.columns if c != geom and (
        frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]))]

    def raw(v):
        return v.encode("latin-1") if isinstance(v, str) else v

    if declared:
        encoding = declared
    else:
        try:
            for c in frame.columns:  # field names count too (a GBK name is invalid UTF-8)
                if c != geom:
                    # not final: a character cut at the end of a name is not an error
                    codecs.getincrementaldecoder("utf-8")().decode(raw(c), final=False)
            for c in text_cols:
                for v in frame[c]:
                    if isinstance(v, str):
                        raw(v).decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "gb18030"
        if encoding == "gb18030" and any(
                isinstance(v, str) and any(ord(ch) > 127 for ch in v)
                for c in text_cols for v in frame[c]):
            report.add(
                "warning", "encoding_guessed", layer=layer, file=path,
                zh="缺少 .cpg 文件，已按 GBK/GB18030 读取属性表",
                en="no .cpg file: attributes were read as GBK/GB18030",
                fix_zh="如中文显示乱码，请补充 .cpg 文件（内容写 GBK 或 UTF-8）",
                fix_en="add a .cpg file (containing GBK or UTF-8) if text looks garbled",
            )
    try:
        "".encode(encoding)
    except LookupError:
        report.add(
            "error", "unknown_encoding", layer=layer, file=path, value=encoding,
            zh=f".cpg 文件中的编码 {encoding} 无法识别", en=f"unknown encoding {encoding} in the .cpg file",
            fix_zh="把 .cpg 文件内容改为 GBK 或 UTF-8", fix_en="write GBK or UTF-8 in the .cpg file",
        )
        return None
    for c in text_cols:
        frame[c] = [raw(v).decode(encoding, errors="replace") if isinstance(v, str) else v
                    for v in frame[c]]
    renamed, cut = {}, []
    for c in frame.columns:
        if c == geom:
            continue
        b = raw(c)
        try:
            renamed[c] = b.decode(encoding)
        except UnicodeDecodeError:
            renamed[c] = b.decode(encoding, errors="ignore")  # a character cut at 10 bytes
            cut.append(renamed[c])
    frame = frame.rename(columns=renamed)
    for name in cut:
        report.add(
            "warning", "header_truncated", layer=layer, file=path, column=name,
            zh="Shapefile 字段名被截断（dBase 限 10 字节，中文字符被截半），已按前缀识别",
            en="a shapefile field name was cut (dBase allows 10 bytes; a Chinese character was "
               "split); it was matched by its prefix",
            fix_zh="改用 GeoPackage，或使用英文字段名（见数据说明）",
            fix_en="save as GeoPackage, or use the English field names (see the data guide)",
        )
    return frame, encoding


def _read_vector(path: Path, layer: str, report: Report, sublayer) -> RawTable | None:
    kwargs = {}
    if sublayer is not None:
        kwargs["layer"] = sublayer
    encoding = None
    try:
        if _is_shapefile(path):
            got = _read_shapefile(path, layer, report, kwargs)
            if got is None:
                return None
            frame, encoding = got
        else:
            frame = pyogrio.read_dataframe(path, **kwargs)
    except Exception as exc:  # pyogrio/GDAL raise DataSourceError and friends
        report.add(
            "error", "unreadable_file", layer=layer, file=path,
            zh=f"无法读取空间数据文件：{exc}", en=f"cannot read the spatial file: {exc}",
            fix_zh="确认文件完整（Shapefile 需 .shp/.shx/.dbf 同名同目录），或改存为 GeoPackage",
            fix_en="check the file is complete (.shp/.shx/.dbf together) or save as GeoPackage",
        )
        return None
    if not isinstance(frame, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(frame)
    frame = frame.reset_index(drop=True)
    return RawTable(frame=frame, file=str(path), is_vector=True, row_offset=1, encoding=encoding)


def read_raw(
    path: str | Path,
    layer: str,
    report: Report,
    *,
    sheet: str | int | None = None,
    sublayer: str | None = None,
    data: bytes | None = None,
) -> RawTable | None:
    """Read a file into a :class:`RawTable`, adding any problem to ``report``.

    Parameters
    ----------
    path : path
        The file. Its suffix decides the reader.
    layer : str
        Which product layer this file is for (used in messages).
    report : Report
        Problems are appended here; nothing is raised for bad input.
    sheet : str or int, optional
        Worksheet of an XLSX file (default: the first).
    sublayer : str, optional
        Layer inside a GeoPackage (default: the first).
    data : bytes, optional
        The file's bytes, when they come from an upload rather than the disk
        (tables only; spatial uploads are written to a temporary folder first).

    Returns
    -------
    RawTable or None
        None when the file cannot be read at all (the reason is in the report).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if data is None and not path.exists():
        report.add(
            "error", "file_not_found", layer=layer, file=path,
            zh="找不到文件", en="file not found",
            fix_zh="检查路径与文件名", fix_en="check the path and file name",
        )
        return None
    if suffix in (".csv", ".txt"):
        return _read_csv(path, data if data is not None else path.read_bytes(), layer, report)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, data if data is not None else path.read_bytes(), layer, report,
                          sheet)
    if suffix in VECTOR_SUFFIXES:
        return _read_vector(path, layer, report, sublayer)
    report.add(
        "error", "unsupported_format", layer=layer, file=path, value=suffix,
        zh=f"不支持的文件格式 {suffix}",
        en=f"unsupported file format {suffix}",
        fix_zh="请提供 GeoPackage、GeoJSON、Shapefile、CSV 或 XLSX 文件",
        fix_en="provide a GeoPackage, GeoJSON, Shapefile, CSV or XLSX file",
    )
    return None
