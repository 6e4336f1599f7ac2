"""Read the files planners actually have, without guessing silently.

Formats: GeoPackage, GeoJSON, Shapefile (attribute encoding from ``.cpg``; without one, UTF-8
is tried and then GBK/GB18030), CSV and XLSX (with lon/lat columns, or joined to villages by
the 12-digit code). Text encodings: UTF-8, UTF-8 with BOM, GBK/GB18030 (detected). Every
value is read as text first so that leading zeros of codes survive; typing happens in
:mod:`geo.validate`, which reports each bad cell by row and column.
"""

from __future__ import annotations

import codecs
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.importer import best_sheet, grid_from_csv_text, grids_from_xlsx, table_from_grid
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
        Add to a 0-based index to get the row number the planner sees (tables: 2, vectors: 1),
        when ``row_numbers`` is not given.
    encoding : str or None
        The text encoding used.
    row_numbers : list of int, optional
        The row number of each record in the file (tables: after title rows, blank rows and
        total rows were dropped, every record keeps its own row).
    """

    frame: pd.DataFrame
    file: str
    is_vector: bool
    row_offset: int
    encoding: str | None = None
    row_numbers: list[int] | None = None

    def row(self, i: int) -> int:
        """The planner's row number of record ``i`` (0-based)."""
        if self.row_numbers is not None:
            return int(self.row_numbers[i])
        return i + self.row_offset


def _decode(data: bytes, file: str, layer: str, report: Report) -> tuple[str, str] | None:
    for enc in _ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    # Neither decodes cleanly: a few bad bytes in an otherwise good file (a GBK file with a
    # damaged character, a UTF-8 file with one pasted GBK cell). Take the encoding that needs
    # the fewest replacements, if they are few, and say on which lines.
    best = None
    for enc in ("utf-8", "gb18030"):
        text = data.decode(enc, errors="replace")
        n = text.count("\ufffd")
        if best is None or n < best[2]:
            best = (text, enc, n)
    text, enc, n = best
    if n and n <= max(10, len(text) // 200):
        lines = [k + 1 for k, ln in enumerate(text.replace("\r\n", "\n").split("\n"))
                 if "\ufffd" in ln]
        shown = "、".join(str(x) for x in lines[:10]) + ("…" if len(lines) > 10 else "")
        report.add(
            "warning", "bad_bytes_replaced", layer=layer, file=file, row=lines[0],
            value=f"{n}",
            zh=f"文件按 {_ENC_NAME.get(enc, enc)} 读取，但有 {n} 个字节无法识别，已替换为 �（第 {shown} 行）",
            en=f"read as {_ENC_NAME.get(enc, enc)}, but {n} byte(s) could not be decoded and "
               f"were replaced by � (line(s) {shown.replace('、', ', ')})",
            fix_zh="核对这些行的文字；如为代码或人数，请改正后重新上传（另存为 CSV UTF-8 最稳妥）",
            fix_en="check the text on those lines; fix any code or count there and upload again "
                   "(saving as 'CSV UTF-8' is safest)",
        )
        return text, enc
    try:
        from charset_normalizer import from_bytes

        guess = from_bytes(data).best()
        if guess is not None:
            return str(guess), guess.encoding
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


_ENC_NAME = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GBK/GB18030"}


def _table(names, rows, numbers, path, enc) -> RawTable:
    frame = pd.DataFrame(rows, columns=names, dtype=object) if rows else pd.DataFrame(
        {n: pd.Series([], dtype=object) for n in names})
    return RawTable(frame=frame, file=str(path), is_vector=False, row_offset=2, encoding=enc,
                    row_numbers=list(numbers))


def _read_csv(path: Path, data: bytes, layer: str, report: Report, mapping=None
              ) -> RawTable | None:
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
    text = text.lstrip("\ufeff")
    grid, sep = grid_from_csv_text(text)
    if sep not in (",", "\t"):
        report.add(
            "warning", "separator_detected", layer=layer, file=path,
            value={";": "分号 ;", "|": "竖线 |", "，": "中文逗号 ，"}.get(sep, sep),
            zh=f"单元格分隔符不是逗号，已按“{sep}”读取", en=f"cells are separated by '{sep}', not "
            "commas; read accordingly", fix_zh="无需处理", fix_en="nothing to do",
        )
    names, rows, numbers, _ = table_from_grid(grid, layer, str(path), report, mapping)
    return _table(names, rows, numbers, path, enc)


def _read_xlsx(path: Path, data: bytes, layer: str, report: Report, sheet, mapping=None
               ) -> RawTable | None:
    try:
        grids = grids_from_xlsx(data)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        report.add(
            "error", "unreadable_table", layer=layer, file=path,
            zh=f"Excel 文件无法读取：{type(exc).__name__}",
            en=f"the Excel file cannot be read: {type(exc).__name__}",
            fix_zh="请用 Excel/WPS 打开后另存为 .xlsx 再上传（不支持旧版 .xls）",
            fix_en="open it in Excel/WPS, save as .xlsx and upload again (old .xls is not supported)",
        )
        return None
    names = list(grids)
    if sheet is not None and sheet != "":
        chosen = None
        if isinstance(sheet, int) or str(sheet).isdigit():
            k = int(sheet)
            chosen = names[k] if 0 <= k < len(names) else None
        if chosen is None and str(sheet) in grids:
            chosen = str(sheet)
        if chosen is None:
            report.add(
                "error", "unknown_sheet", layer=layer, file=path, value=str(sheet),
                zh=f"找不到工作表“{sheet}”；文件中的工作表：{'、'.join(names)}",
                en=f"no worksheet '{sheet}'; the file has: {', '.join(names)}",
                fix_zh="改用上面列出的工作表名（命令行写作 文件.xlsx#工作表名）",
                fix_en="use one of the sheet names above (on the command line: file.xlsx#Sheet)",
            )
            return None
    else:
        chosen = best_sheet(grids, layer, mapping)
        if len(names) > 1:
            report.add(
                "warning", "sheet_chosen", layer=layer, file=path, value=chosen,
                zh=f"工作簿有 {len(names)} 个工作表（{'、'.join(names)}），已读取表头最相符的“{chosen}”",
                en=f"the workbook has {len(names)} sheets ({', '.join(names)}); read "
                   f"'{chosen}', whose header matches best",
                fix_zh="如需其他工作表，请在上传时选择，或命令行写作 文件.xlsx#工作表名",
                fix_en="to use another sheet choose it when uploading, or write file.xlsx#Sheet "
                       "on the command line",
            )
    cols, rows, numbers, _ = table_from_grid(grids[chosen], layer, str(path), report, mapping)
    return _table(cols, rows, numbers, path, "xlsx")


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

    def decodes(enc: str) -> bool:
        try:
            for c in frame.columns:
                if c != geom:
                    codecs.getincrementaldecoder(enc)().decode(raw(c), final=False)
            for c in text_cols:
                for v in frame[c]:
                    if isinstance(v, str):
                        raw(v).decode(enc)
        except (UnicodeDecodeError, LookupError):
            return False
        return True

    if declared and not decodes(declared):
        other = next((e for e in ("gb18030", "utf-8") if e != declared and decodes(e)), None)
        if other is not None:
            report.add(
                "warning", "cpg_mismatch", layer=layer, file=path, value=declared,
                zh=f".cpg 文件写的是 {declared}，但属性表实际是 {_ENC_NAME.get(other, other)} 编码，"
                   f"已按 {_ENC_NAME.get(other, other)} 读取",
                en=f"the .cpg file says {declared}, but the attributes are "
                   f"{_ENC_NAME.get(other, other)}; they were read as {_ENC_NAME.get(other, other)}",
                fix_zh=f"把 .cpg 文件内容改为 {'GBK' if other == 'gb18030' else 'UTF-8'}",
                fix_en=f"write {'GBK' if other == 'gb18030' else 'UTF-8'} in the .cpg file",
            )
            declared = other
        else:
            try:
                "".encode(declared)
                report.add(
                    "warning", "bad_bytes_replaced", layer=layer, file=path, value=declared,
                    zh=f"部分属性值不是有效的 {declared}（也不是 GBK），无法识别的字节已替换为 �",
                    en=f"some attribute values are not valid {declared} (nor GBK); undecodable "
                       "bytes were replaced by �",
                    fix_zh="核对中文名称；在 GIS 软件中按正确编码重新导出",
                    fix_en="check the Chinese names; export again from your GIS with the right "
                           "encoding",
                )
            except LookupError:
                pass  # reported below
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


def _shapefile_parts_missing(path: Path) -> list[str]:
    """The companion files (.dbf, .shx) a shapefile (or its zip) lacks."""
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                names = [n.lower() for n in zf.namelist()]
        except zipfile.BadZipFile:
            return []
        shp = [n for n in names if n.endswith(".shp")]
        if not shp:
            return []
        stem = shp[0][:-4]
        return [ext for ext in (".dbf", ".shx") if stem + ext not in names]
    return [ext for ext in (".dbf", ".shx")
            if not path.with_suffix(ext).exists() and not path.with_suffix(ext.upper()).exists()]


def _choose_sublayer(path: Path, layer: str, report: Report, sublayer, mapping):
    """The GeoPackage layer to read: the one asked for, or the one that fits best."""
    from geo.schema import LAYERS, header_field

    try:
        listed = pyogrio.list_layers(path)
    except Exception:  # unreadable: the reader reports it
        return sublayer, True
    names = [str(n) for n, _ in listed]
    if sublayer is not None and sublayer != "":
        if str(sublayer) in names:
            return str(sublayer), True
        if str(sublayer).isdigit() and int(sublayer) < len(names):
            return names[int(sublayer)], True
        report.add(
            "error", "unknown_sublayer", layer=layer, file=path, value=str(sublayer),
            zh=f"文件中没有图层“{sublayer}”；可用图层：{'、'.join(names)}",
            en=f"no layer '{sublayer}' in the file; its layers: {', '.join(names)}",
            fix_zh="改用上面列出的图层名（命令行写作 文件.gpkg#图层名）",
            fix_en="use one of the layer names above (on the command line: file.gpkg#layer)",
        )
        return None, False
    if len(names) <= 1:
        return None, True
    want = {t for t in LAYERS[layer].geometry_types}
    best, best_score = names[0], (-1, -1)
    for (name, gtype), _k in zip(listed, range(len(names)), strict=True):
        try:
            info = pyogrio.read_info(path, layer=name)
            fields = [str(f) for f in info["fields"]]
        except Exception:
            continue
        score = (int(not want or str(gtype).replace("3D ", "") in want),
                 sum(1 for f in fields if header_field(layer, f, mapping)))
        if score > best_score:
            best, best_score = name, score
    report.add(
        "warning", "sublayer_chosen", layer=layer, file=path, value=best,
        zh=f"文件有 {len(names)} 个图层（{'、'.join(names)}），已读取最相符的“{best}”",
        en=f"the file has {len(names)} layers ({', '.join(names)}); read '{best}', which fits "
           "best",
        fix_zh="如需其他图层，请在上传时选择，或命令行写作 文件.gpkg#图层名",
        fix_en="to use another layer choose it when uploading, or write file.gpkg#layer on the "
               "command line",
    )
    return best, True


def _read_vector(path: Path, layer: str, report: Report, sublayer, mapping=None
                 ) -> RawTable | None:
    kwargs = {}
    if _is_shapefile(path):
        missing = _shapefile_parts_missing(path)
        if missing:
            report.add(
                "error", "shapefile_incomplete", layer=layer, file=path,
                value=" ".join(missing),
                zh=f"Shapefile 缺少 {'、'.join(missing)} 文件（属性表/索引），无法读取",
                en=f"the shapefile lacks its {', '.join(missing)} file(s) (attributes/index), so "
                   "it cannot be read",
                fix_zh="把同名的 .shp、.shx、.dbf、.prj（和 .cpg）一起打包上传，或另存为 GeoPackage",
                fix_en="zip the .shp, .shx, .dbf, .prj (and .cpg) of the same name together, or "
                       "save as GeoPackage",
            )
            return None
    elif path.suffix.lower() == ".gpkg":
        sublayer, ok = _choose_sublayer(path, layer, report, sublayer, mapping)
        if not ok:
            return None
    if sublayer is not None and sublayer != "":
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
    mapping: dict[str, str] | None = None,
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
        Worksheet of an XLSX file (default: the one whose header names the most fields,
        with a warning when the workbook has several), or the layer of a GeoPackage.
    sublayer : str, optional
        Layer inside a GeoPackage (default: the one that fits the layer best).
    data : bytes, optional
        The file's bytes, when they come from an upload rather than the disk
        (tables only; spatial uploads are written to a temporary folder first).
    mapping : dict, optional
        The planner's header -> field mapping (a saved template), used to find the header.

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
        return _read_csv(path, data if data is not None else path.read_bytes(), layer, report,
                         mapping)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, data if data is not None else path.read_bytes(), layer, report,
                          sheet, mapping)
    if suffix in VECTOR_SUFFIXES:
        return _read_vector(path, layer, report, sublayer if sublayer is not None else sheet,
                            mapping)
    report.add(
        "error", "unsupported_format", layer=layer, file=path, value=suffix,
        zh=f"不支持的文件格式 {suffix}",
        en=f"unsupported file format {suffix}",
        fix_zh="请提供 GeoPackage、GeoJSON、Shapefile、CSV 或 XLSX 文件",
        fix_en="provide a GeoPackage, GeoJSON, Shapefile, CSV or XLSX file",
    )
    return None
