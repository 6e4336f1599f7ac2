r"""The one path from data to HTML or JavaScript: escaping by construction.

A village, township, facility, river, chief, county or scenario name is data a planner typed
(or received in a spreadsheet); on a map it reaches a browser in several places — a tooltip
string that folium puts inside a JavaScript template literal in a ``<script>`` block, a
GeoJSON property that Leaflet's tooltip writes with ``innerHTML``, a ``DivIcon`` label, the
legend, a layer name. Map builders never build that markup by f-string: they hand raw values
to the helpers here, which escape every value, and only fixed markup written in this code
(``Markup``) passes through unchanged.

* :func:`text` — one value as HTML text: ``& < > " '`` as entities, plus the characters that
  mean something inside a JS template literal (`` ` ``, ``$``, ``\``) and U+2028/U+2029;
* :func:`html` — fixed markup with escaped values (``html("<b>{}</b>", name)``);
* :func:`tooltip`, :func:`div_icon`, :func:`geojson_tooltip`, :func:`geojson`,
  :func:`layer_name` — the folium objects the builders need, built from raw values;
* :func:`script_json` — JSON that is safe inside ``<script>`` (``</script>``, ``<!--``,
  U+2028/U+2029 cannot end the block or the string);
* :func:`css_string` — a quoted CSS string (``content: …``) in which every character but
  ASCII letters and digits is a hex escape: nothing can end the string, the rule or
  the ``<style>`` block.

File names made from data (a patrol PDF per river chief) go through :func:`file_names`:
nothing that climbs out of the folder, no reserved or invisible characters, and two names
that clean to the same file get a suffix instead of overwriting each other.

Text for matplotlib (snapshots, patrol PDFs, the briefing, the funding plot) is made literal
once for every figure: :func:`plain_matplotlib_text` turns mathtext off (``$`` and ``\``
print as typed), and :func:`geo.fonts.use_cjk_font`, which every figure path calls, calls it.

Examples
--------
>>> str(text("<img src=x onerror=alert(1)>"))
'&lt;img src=x onerror=alert(1)&gt;'
>>> str(text("${alert(1)}`"))
'&#36;&#123;alert(1)&#125;&#96;'
>>> str(script_json({"a": "{{7*7}}"}))
'{"a": "\\u007b\\u007b7*7\\u007d\\u007d"}'
>>> str(html("<b>{}</b> {:.1f} h", "</script>", 2.25))
'<b>&lt;/script&gt;</b> 2.2 h'
>>> file_names(["河长/甲", "河长_甲", "../x", "CON"])
['河长_甲', '河长_甲~2', '_x', '_CON']
>>> css_string('上传"}</style>')
'"\\004e0a\\004f20\\000022\\00007d\\00003c\\00002fstyle\\00003e"'
>>> str(script_json({"a": "</script><!--\u2028"}))
'{"a": "\\u003c/script\\u003e\\u003c!--\\u2028"}'
"""

from __future__ import annotations

import json
import numbers

import folium
from markupsafe import Markup
from markupsafe import escape as _escape

__all__ = [
    "Markup",
    "css_string",
    "div_icon",
    "file_name",
    "file_names",
    "geojson",
    "geojson_tooltip",
    "html",
    "join",
    "layer_name",
    "md",
    "plain_matplotlib_text",
    "script_json",
    "text",
    "tooltip",
]

# Beyond markupsafe's five: what a JS template literal (folium's tooltips) would interpret,
# the two line terminators older JS engines end a string at, and braces: branca renders
# each element's script output once more as a Jinja template, so ``{{ … }}`` in a name would
# be evaluated as Python on the planner's machine (and ``{#`` would break the page).
_EXTRA = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;", "}": "&#125;",
                        "\u2028": "&#8232;", "\u2029": "&#8233;"})
_SCRIPT_JSON = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})
# Braces inside JSON strings are swapped for two noncharacters before dumping, and written
# back as \u007b / \u007d: structural braces stay, no ``{{`` or ``{%`` can reach Jinja.
_BRACES_IN = str.maketrans({"{": "\ufdd0", "}": "\ufdd1"})


def _no_braces(obj):
    if isinstance(obj, str):
        return obj.translate(_BRACES_IN)
    if isinstance(obj, dict):
        return {_no_braces(k): _no_braces(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_no_braces(v) for v in obj]
    return obj


def text(value) -> Markup:
    """One value as HTML text, safe in element content, a quoted attribute and a JS template.

    ``None`` and NaN become the empty string; :class:`Markup` (markup made here) is kept.
    """
    if isinstance(value, Markup):
        return value
    if value is None or (isinstance(value, float) and value != value):
        return Markup("")
    return Markup(str(_escape(str(value))).translate(_EXTRA))


def _arg(value):
    # Numbers keep their format specs ({:.1f}); everything else is escaped text.
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return value
    return text(value)


def html(template: str, *args, **kwargs) -> Markup:
    """Fixed ``template`` markup (written in code, never data) with every value escaped."""
    return Markup(str(template).format(*[_arg(a) for a in args],
                                       **{k: _arg(v) for k, v in kwargs.items()}))


def join(parts, sep: str = "<br>") -> Markup:
    """Escaped parts (markup made here kept) joined by a fixed separator; empty parts dropped."""
    return Markup(sep).join(text(p) for p in parts if p is not None and str(p) != "")


def script_json(obj) -> Markup:
    """JSON for a ``<script>`` block: no ``</script>``, ``<!--``, U+2028/U+2029 or ``{{``.

    Jinja delimiters (``{{``, ``{%``, ``{#``) inside strings are written as ``\u007b``.
    """
    dumped = json.dumps(_no_braces(obj), ensure_ascii=True, allow_nan=False)
    dumped = dumped.replace("\\ufdd0", "\\u007b").replace("\\ufdd1", "\\u007d")
    return Markup(dumped.translate(_SCRIPT_JSON))


# Everything CommonMark, GitHub tables, Streamlit's :directives[] and $math$ give meaning to.
_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:&")


def md(value) -> str:
    r"""A value as literal text inside Streamlit markdown (titles, captions, labels, messages).

    Streamlit renders those strings as Markdown with math and directives, so a name such as
    ``![](http://host/x.png)`` would make the browser fetch a picture, and ``$rac{$``
    would be typeset; every punctuation character that could start markup is
    backslash-escaped, which Markdown prints as the character itself.

    >>> md("![x](http://h/a.png) $1$ :red[*]")
    '\\!\\[x\\]\\(http\\://h/a\\.png\\) \\$1\\$ \\:red\\[\\*\\]'
    """
    if value is None:
        return ""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(value))


def tooltip(content, **kwargs) -> folium.Tooltip:
    """A folium tooltip from raw text or markup made by :func:`html` / :func:`join`."""
    return folium.Tooltip(str(text(content)), **kwargs)


def div_icon(content, **kwargs) -> folium.DivIcon:
    """A Leaflet ``divIcon`` whose HTML is raw text escaped, or markup made here."""
    return folium.DivIcon(html=str(text(content)), **kwargs)


def layer_name(label) -> str:
    """A layer-control name (Leaflet writes it with ``innerHTML``)."""
    return str(text(label))


def geojson_tooltip(fields, aliases, **kwargs) -> folium.GeoJsonTooltip:
    """A GeoJSON tooltip whose aliases are escaped; use it on data from :func:`geojson`."""
    return folium.GeoJsonTooltip(fields=list(fields), aliases=[layer_name(a) for a in aliases],
                                 **kwargs)


def geojson(fc: dict) -> dict:
    """A GeoJSON FeatureCollection whose string properties are escaped for ``innerHTML``.

    Leaflet tooltips (folium's ``GeoJsonTooltip``) write property values with ``innerHTML``;
    escaped once here they print as typed. Codes, colours and kinds have nothing to escape,
    so style functions read them unchanged. Returns a new dict.
    """
    def clean(props):
        return {k: (str(text(v)) if isinstance(v, str) else v) for k, v in (props or {}).items()}

    return {**fc, "features": [{**f, "properties": clean(f.get("properties"))}
                               for f in fc.get("features", [])]}


def plain_matplotlib_text() -> None:
    r"""Make every matplotlib text literal: no mathtext, so ``$…$`` and ``\`` print as typed.

    A name such as ``$\frac{$`` otherwise goes to the mathtext parser and the figure fails.
    """
    import matplotlib

    matplotlib.rcParams["text.parse_math"] = False
    matplotlib.rcParams["text.usetex"] = False


# Characters no file name on Windows, macOS or Linux may hold, and Windows' reserved names.
_BAD_FILE_CHARS = set('<>:"/\\|?*')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


def file_name(name, *, default: str = "file", max_bytes: int = 150) -> str:
    """One name made a safe file-name stem (no folder parts, no control characters).

    Separators and characters forbidden on Windows become ``_``; leading/trailing dots and
    spaces are dropped (``..`` cannot climb out); Windows' reserved device names get a
    ``_`` prefix; the stem is cut to ``max_bytes`` of UTF-8.
    """
    import unicodedata

    s = unicodedata.normalize("NFC", str(name))
    s = "".join("_" if (ch in _BAD_FILE_CHARS or unicodedata.category(ch)[0] == "C"
                        or unicodedata.category(ch) in ("Zl", "Zp")) else ch for ch in s)
    s = s.strip(" .")
    if set(s) <= {"_", "."}:  # nothing left but replaced characters
        s = ""
    if s.split(".")[0].upper() in _RESERVED:
        s = "_" + s
    encoded = s.encode("utf-8")[:max_bytes]
    s = encoded.decode("utf-8", errors="ignore").strip(" .")
    return s or default


def file_names(names, *, default: str = "file", max_bytes: int = 150) -> list[str]:
    """Safe, unique file-name stems for ``names``, in order (see :func:`file_name`).

    Uniqueness ignores case (Windows and macOS folders do); a stem already taken gets
    ``~2``, ``~3`` … so the number of files written equals the number of names.
    """
    used: set[str] = set()
    out = []
    for n in names:
        base = file_name(n, default=default, max_bytes=max_bytes)
        stem, k = base, 1
        while stem.lower() in used:
            k += 1
            stem = f"{base}~{k}"
        used.add(stem.lower())
        out.append(stem)
    return out


def css_string(value) -> str:
    """Return ``value`` as a double-quoted CSS string.

    Every character but ``[A-Za-z0-9]`` is escaped as six hex digits (CSS 2.1 §4.1.3), so it
    cannot close the string, the rule or the block. Spaces too: a space right after an escape
    would be read as the escape's end.
    """
    out = []
    for ch in str(value):
        out.append(ch if (ch.isascii() and ch.isalnum()) else f"\\{ord(ch):06x}")
    return '"' + "".join(out) + '"'
