"""Streamlit glue shared by the pages: language, the county in use, cached loaders.

Only this module and the pages import streamlit. Loaders are cached with ``st.cache_data``
on hashable inputs (an adcode, the bytes of the uploaded files), so a widget change never
reloads data.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from geo.i18n import t
from geo.layers import (
    DEFAULT_ADCODE,
    CountyData,
    LayerSource,
    demo_adcodes,
    demo_name,
    demo_sources,
    load_county,
    load_demo,
)
from geo.safe import css_string

__all__ = [
    "current_county",
    "lang",
    "load_uploaded",
    "sidebar",
]

_LANG_KEY = "lang"
_SOURCE_KEY = "county_source"
_UPLOAD_KEY = "uploaded_spec"
_PENDING_KEY = "pending_source"
_SELECT_KEY = "source_select"


def lang() -> str:
    """The interface language chosen in the sidebar ('zh' by default)."""
    return st.session_state.get(_LANG_KEY, "zh")


@st.cache_data(show_spinner=False, max_entries=8)
def cached_demo(adcode: str) -> CountyData:
    """An embedded county, loaded and validated once per process."""
    return load_demo(adcode)


@st.cache_data(show_spinner=False, max_entries=4)
def _cached_upload(spec: tuple) -> CountyData:
    """Load uploaded files: spec = ((layer, filename, bytes, coord_system), ...), base[, how].

    ``how`` (optional) is ((layer, sheet, mapping_json), ...): the worksheet/GeoPackage layer
    and the column mapping the planner chose on the Data page.
    """
    files, base, *rest = spec
    how = {layer: (sheet, mapping) for layer, sheet, mapping in (rest[0] if rest else ())}
    mapping = {layer: dict(json.loads(m)) for layer, (_, m) in how.items() if m}
    folder = Path(tempfile.mkdtemp(prefix="childplan-upload-"))
    sources: dict[str, object] = {}
    if base:
        sources.update({k: LayerSource(path=v) for k, v in demo_sources(base).items()})
    for layer, filename, data, coord_system in files:
        target = folder / f"{layer}{Path(filename).suffix.lower()}"
        target.write_bytes(data)
        sources[layer] = LayerSource(path=target, coord_system=coord_system,
                                     display_name=filename,
                                     sheet=how.get(layer, (None, None))[0] or None)
    return load_county(sources, mapping=mapping)


def load_uploaded(files: list[tuple[str, str, bytes, str]], base: str | None,
                  how: tuple = ()) -> CountyData:
    """Validate uploaded files and use them only when the check finds no error.

    The check is the same as ``childplan validate``; with an error the data in use stay as
    they are (check ``.report.ok`` of the returned data).

    ``how``: ((layer, sheet, mapping_json), ...) chosen in the column-mapping step.
    """
    spec = (tuple(files), base, tuple(how)) if how else (tuple(files), base)
    data = _cached_upload(spec)
    if not data.report.ok:  # check first: a failed check leaves the working data untouched
        return data
    st.session_state[_UPLOAD_KEY] = spec
    st.session_state[_SOURCE_KEY] = "upload"
    st.session_state[_PENDING_KEY] = "upload"  # the sidebar select follows on the next run
    return data


def upload_digest() -> str | None:
    """A short id of the uploaded file set in use, if any."""
    spec = st.session_state.get(_UPLOAD_KEY)
    if not spec:
        return None
    h = hashlib.sha1()
    for layer, name, data, cs in spec[0]:
        h.update(layer.encode() + name.encode() + data + cs.encode())
    return h.hexdigest()[:8]


def current_county() -> CountyData:
    """The county the planner is working on (demo county by default)."""
    source = st.session_state.get(_SOURCE_KEY) or DEFAULT_ADCODE
    if source == "upload" and st.session_state.get(_UPLOAD_KEY):
        return _cached_upload(st.session_state[_UPLOAD_KEY])
    return cached_demo(source if source != "upload" else DEFAULT_ADCODE)


def sidebar() -> str:
    """Language switch and county choice; returns the language."""
    with st.sidebar:
        # Same label and options in both languages: the widget keeps one identity. Its state
        # is never written from code (that confuses the frontend on a cold start).
        choice = st.radio("语言 / Language", ["中文", "English"], horizontal=True,
                          key="lang_radio")
        st.session_state[_LANG_KEY] = "zh" if choice == "中文" else "en"
        lg = lang()
        codes = demo_adcodes()
        options = [c for c in codes if c == DEFAULT_ADCODE] + [c for c in codes
                                                              if c != DEFAULT_ADCODE]
        # one label in both languages (a place name and its code): the closed box keeps the
        # label it was drawn with when the language changes, so it must not depend on it
        labels = {code: f"{demo_name(code)} · {code}" for code in options}
        if st.session_state.get(_UPLOAD_KEY):
            options = options + ["upload"]
            labels["upload"] = t("uploaded", lg)
        pending = st.session_state.pop(_PENDING_KEY, None)
        if pending in options:
            st.session_state[_SELECT_KEY] = pending  # set before the widget exists: allowed
        elif _SELECT_KEY in st.session_state and st.session_state[_SELECT_KEY] not in options:
            del st.session_state[_SELECT_KEY]  # e.g. an upload that is gone: back to default
        picked = st.selectbox(t("data_source", lg), options, key=_SELECT_KEY,
                              format_func=lambda c: labels.get(c, c))
        st.session_state[_SOURCE_KEY] = picked
    return lang()


def uploader_words(lg: str) -> None:
    """Draw the file uploader's button and size limit in the page's language.

    Streamlit writes its button ("Upload") and its size limit ("200MB per file • CSV, …") in
    English in every language. Our words from the catalogue replace them
    (a style rule: the English text is hidden and not in the page's visible text, ours is
    drawn in its place); the accepted formats are named by each uploader's own label.
    """
    mb = int(st.get_option("server.maxUploadSize"))
    button = css_string(t("uploader_button", lg))
    limit = css_string(t("uploader_limit", lg).format(mb=mb))
    st.html(
        "<style>"
        "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p,"
        "[data-testid='stFileUploaderDropzoneInstructions'] span"
        "{visibility:hidden;font-size:0;line-height:0}"
        "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p::after"
        f"{{content:{button};visibility:visible;font-size:0.875rem;line-height:1.6}}"
        "[data-testid='stFileUploaderDropzoneInstructions'] span::after"
        f"{{content:{limit};visibility:visible;font-size:0.875rem;line-height:1.6}}"
        "</style>")


# --- policy overrides shared by every page (a scenario saves them) --------------------------
_OVERRIDES_KEY = "policy_overrides"


@st.cache_resource(show_spinner=False)
def _base_policy():
    """The built-in policy file, parsed once per process (frozen, safe to share)."""
    from optimization.policy import load_policy

    return load_policy()


def overrides() -> dict:
    """The planner's policy overrides for this session (dotted names -> values)."""
    return dict(st.session_state.get(_OVERRIDES_KEY, {}))


def set_overrides(values: dict) -> None:
    """Replace the session's overrides (e.g. when a scenario is opened)."""
    st.session_state[_OVERRIDES_KEY] = dict(values)


def override(name: str, value) -> None:
    """Record one override; a value equal to the default removes it."""
    base = _base_policy().value(name)
    cur = overrides()
    plain = list(base) if isinstance(base, tuple) else base
    if value == plain or value == base:
        cur.pop(name, None)
    else:
        cur[name] = value
    st.session_state[_OVERRIDES_KEY] = cur


def policy():
    """The policy in force: the file plus this session's overrides."""
    return _base_policy().with_overrides(overrides()) if overrides() else _base_policy()


def overrides_key() -> str:
    """A stable text key of the overrides (for caches)."""
    import json

    return json.dumps(overrides(), sort_keys=True, ensure_ascii=False, default=str)


def data_key() -> tuple:
    """A hashable key of the county in use: ('demo', adcode) or ('upload', spec).

    A signed-in township user's key carries the township code as a third element: every
    cached load and solve keyed by it sees only that township (:func:`county_for`).
    """
    source = st.session_state.get(_SOURCE_KEY) or DEFAULT_ADCODE
    if source == "upload" and st.session_state.get(_UPLOAD_KEY):
        key = ("upload", st.session_state[_UPLOAD_KEY])
    else:
        key = ("demo", source if source != "upload" else DEFAULT_ADCODE)
    acc = account()
    return key + (acc.township,) if acc is not None and acc.role == "township" else key


def county_for(key: tuple) -> CountyData:
    """The county a :func:`data_key` names (one township of it for a township user)."""
    data = cached_demo(key[1]) if key[0] == "demo" else _cached_upload(key[1])
    if len(key) > 2 and key[2]:
        from childplan.accounts import restrict_to_township

        return restrict_to_township(data, key[2])
    return data


_ACCOUNT_KEY = "_childplan_account"


def account():
    """The signed-in :class:`~childplan.accounts.Account`, or None (accounts off or not yet)."""
    return st.session_state.get(_ACCOUNT_KEY)


def login():
    """When accounts are on (``$CHILDPLAN_ACCOUNTS``), ask for a sign-in and stop until done.

    Returns the account, or None when accounts are off (single-user ``make run``).
    """
    from childplan.accounts import AccountsError, accounts_path, load_accounts, verify

    path = accounts_path()
    if path is None:
        return None
    acc = account()
    lg = lang()
    if acc is not None:
        st.sidebar.caption(t("login_as", lg).format(name=acc.name, role=t(f"role_{acc.role}", lg),
                                                    township=acc.township))
        if st.sidebar.button(t("logout", lg)):
            st.session_state.pop(_ACCOUNT_KEY, None)
            st.rerun()
        return acc
    with st.form("login"):
        st.subheader(t("login_title", lg))
        name = st.text_input(t("login_name", lg))
        password = st.text_input(t("login_password", lg), type="password")
        submitted = st.form_submit_button(t("login_submit", lg))
    if submitted:
        try:
            acc = verify(load_accounts(path), name.strip(), password)
        except AccountsError as exc:
            st.error(str(exc))
            st.stop()
        if acc is not None:
            st.session_state[_ACCOUNT_KEY] = acc
            st.rerun()
        st.error(t("login_failed", lg))
    st.stop()


def data_label(key: tuple) -> str:
    """Short text for a data key (stored with scenarios)."""
    return f"demo:{key[1]}" if key[0] == "demo" else f"upload:{upload_digest()}"


def policy_from_json(overrides_json: str):
    """The policy for a cache key made by :func:`overrides_key`."""
    import json

    ov = json.loads(overrides_json)
    return _base_policy().with_overrides(ov) if ov else _base_policy()


# --- cached solves: a button runs them once; every rerun after that is a cache hit ---------
@st.cache_data(show_spinner=False, max_entries=16)
def solve_staffing(data_key: tuple, overrides_json: str, solver: str):
    """Staffing plan and its output tables (a StaffingResult) for (county, overrides, solver)."""
    from childplan.workflows import StaffingResult, run_staffing, staffing_metric, staffing_outputs

    policy = policy_from_json(overrides_json)
    plan = run_staffing(county_for(data_key), policy, solver=solver)
    return StaffingResult(plan=plan, tables=staffing_outputs(plan, staffing_metric(policy)))


def last_result(kind: str, key: tuple | None = None):
    """The solve key of the last ``kind`` result when it is current, else None.

    Current: solved on the data and the policy in force. A stale result (other data or
    policy) is never returned: use :func:`stale_result` to show it as 过期.
    """
    done = st.session_state.get(f"{kind}_done")
    if not done or done[0] != (key or data_key()) or done[1] != overrides_key():
        return None
    r = current_plan().result(kind)
    if r is None or not r.current(current_data_ref().digest, current_plan().policy):
        return None
    return done


def stale_result(kind: str):
    """The solve key of a ``kind`` result that no longer matches the data or policy, or None."""
    done = st.session_state.get(f"{kind}_done")
    if not done or last_result(kind) is not None:
        return None
    return done


# --- the plan in force (childplan/plan.py): data reference, policy, results, name ----------
_PLAN_KEY = "_childplan_plan"
_RESULTS_KEY = "_childplan_results"  # kind -> plan.Result
_NAME_KEY = "_childplan_plan_name"  # (scenario name, policy digest it was saved/opened with)


@st.cache_data(show_spinner=False, max_entries=16)
def _digest_for(key: tuple) -> str:
    from childplan.plan import data_digest

    return data_digest(county_for(key))


def current_data_ref():
    """The :class:`~childplan.plan.DataRef` of the county in use (content digest, files)."""
    from childplan.plan import DataRef

    key = data_key()
    data = county_for(key)
    files = tuple(name for _, name, _, _ in key[1][0]) if key[0] == "upload" else ()
    return DataRef(digest=_digest_for(key), adcode=str(data.adcode), county=str(data.name),
                   files=files, source=data_label(key))


def current_plan():
    """The plan in force: this session's data reference, overrides, results and name."""
    from childplan.plan import Plan

    name, saved = st.session_state.get(_NAME_KEY) or (None, None)
    return Plan(data=current_data_ref(), overrides=overrides(),
                results=dict(st.session_state.get(_RESULTS_KEY, {})),
                widgets=kept_values(), name=name, saved_policy=saved)


def saved_plan_name() -> str | None:
    """The saved scenario's name while the plan in force is still that scenario, else None."""
    p = current_plan()
    return p.name if p.name and p.display_name("") == p.name else None


def plan_name(lg: str | None = None) -> str:
    """The scenario name of the plan in force, or 未保存的方案 when it is not (or no longer) one."""
    return current_plan().display_name(t("plan_unsaved", lg or lang()))


_SLOT_KEY = "_childplan_plan_slot"


def plan_name_slot(slot) -> None:
    """Where the sidebar names the plan in force (an ``st.empty()``; set by app.py every run)."""
    st.session_state[_SLOT_KEY] = slot
    show_plan_name()


_PAGE_NOW, _PAGE_BEFORE = "page_now", "page_before"


def note_page(url_path: str) -> None:
    """Record the page this run draws (app.py, before the page runs)."""
    st.session_state[_PAGE_BEFORE] = st.session_state.get(_PAGE_NOW)
    st.session_state[_PAGE_NOW] = url_path


def page_changed() -> bool:
    """True when this run draws another page than the run before (its elements are new)."""
    return st.session_state.get(_PAGE_BEFORE) != st.session_state.get(_PAGE_NOW)


def show_plan_name() -> None:
    """Write the plan's name into the sidebar slot (again after a page changed it)."""
    slot = st.session_state.get(_SLOT_KEY)
    if slot is not None:
        slot.caption(t("plan_named", lang()).format(name=plan_name()))


def stop() -> None:
    """``st.stop()`` with the sidebar's plan name brought up to date first.

    After ``st.stop()`` nothing more can be written, so pages stop through this: a save, an
    open or an override made on the page shows in the sidebar in the same run.
    """
    show_plan_name()
    st.stop()


def name_plan(name: str | None) -> None:
    """Name the plan in force (after a save or an open) with its current policy."""
    from childplan.plan import policy_digest

    st.session_state[_NAME_KEY] = (name, policy_digest(overrides())) if name else None


def current_phased(key: tuple | None = None):
    """The session's phased plan when solved on the data and policy in force, else None.

    (a :class:`~childplan.workflows_phased.PhasedResult`; a scenario saves only current work)
    """
    got = st.session_state.get("phased_result")
    if not got:
        return None
    done, res = got
    if done[0] != (key or data_key()) or done[1] != overrides_key():
        return None
    return res


def record_result(kind: str, want: tuple, status: str = "", options: dict | None = None) -> None:
    """Remember ``want`` as the ``kind`` result solved on the data and policy in force."""
    from childplan.plan import Result, policy_digest

    r = Result(kind=kind, data=current_data_ref().digest, policy=policy_digest(overrides()),
               options=dict(options or _options_of(kind, want)), status=str(status), key=want)
    results = dict(st.session_state.get(_RESULTS_KEY, {}))
    results[kind] = r
    st.session_state[_RESULTS_KEY] = results
    st.session_state[f"{kind}_done"] = want


def _options_of(kind: str, want: tuple) -> dict:
    """The model's own settings inside a solve key (after data key and overrides)."""
    import json

    if kind == "siting":
        return {"solver": want[2], "sites": json.loads(want[3]) if len(want) > 3 else {}}
    if kind == "staffing":
        return {"solver": want[2]}
    return {}


def stale_notice(kind: str, want: tuple | None = None, solve=None) -> bool:
    """Show a 过期 warning when the ``kind`` result no longer matches; True when stale.

    With ``want`` and ``solve`` a one-click 重新求解 button solves it again (and reruns).
    """
    done = st.session_state.get(f"{kind}_done")
    stale = bool(done) and (last_result(kind) is None or (want is not None and done != want))
    if stale:
        st.warning(t("plan_stale", lang()).format(kind=t(f"plan_kind_{kind}", lang())))
        if want is not None and solve is not None and st.button(
                t("plan_resolve", lang()), key=f"{kind}_resolve"):
            solve_with_status(kind, want, solve)
            st.rerun()
    return stale


def open_plan(plan, name: str) -> list[str]:
    """Make a saved plan the one in force: its data source, policy, widget values and results.

    Results are solved again from the cache keys the plan names (exact solves: the same
    data and policy give the same plan) when its data digest equals the data's now; else no
    result is restored. Returns the kinds restored.
    """
    import json

    from childplan.plan import policy_digest

    src = (plan.data.source if plan.data else "") or ""
    if src.startswith("demo:") and src[5:] in demo_adcodes():
        st.session_state[_SOURCE_KEY] = src[5:]
        st.session_state[_PENDING_KEY] = src[5:]
    set_overrides(plan.overrides)
    restore_widgets(plan.widgets)
    st.session_state.pop(_RESULTS_KEY, None)
    for kind in ("siting", "staffing", "funding"):
        st.session_state.pop(f"{kind}_done", None)
    restored = []
    same_data = plan.data is not None and plan.data.digest == current_data_ref().digest
    if not same_data and plan.data is not None:
        st.warning(t("plan_data_differs", lang()).format(saved=plan.data.digest,
                                                         now=current_data_ref().digest))
    for kind, r in plan.results.items():
        if not same_data or r.policy != policy_digest(plan.overrides):
            continue
        if kind == "siting":
            want = (data_key(), overrides_key(), r.options.get("solver", "cbc"),
                    json.dumps(r.options.get("sites") or {"locked": {}, "must_open": [],
                                                          "never_open": []},
                               sort_keys=True, ensure_ascii=False))
            solve_with_status(kind, want, solve_siting)
        elif kind == "staffing":
            want = (data_key(), overrides_key(), r.options.get("solver", "cbc"))
            solve_with_status(kind, want, solve_staffing)
        else:
            continue
        restored.append(kind)
    name_plan(name)
    return restored


# --- widget values that survive page changes --------------------------------------------
# Streamlit drops the state of widgets on pages that are not rendered. Each kept widget has a
# plain (non-widget) copy under _KEPT_PREFIX + key, refreshed on every run and restored
# before the widget is drawn again.
_KEPT_PREFIX = "_kept_"


def keep(key: str, default=None):
    """Before drawing the widget ``key``: restore its last value (or ``default``).

    Returns the key; draw the widget with ``key=`` and no ``value=``/``index=``/``default=``.
    """
    pk = _KEPT_PREFIX + key
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(pk, default)
    st.session_state[pk] = st.session_state[key]
    return key


def remember_widgets() -> None:
    """Copy every kept widget's value to its plain key (app.py calls this on each run)."""
    for k in list(st.session_state.keys()):
        if isinstance(k, str) and k.startswith(_KEPT_PREFIX):
            w = k[len(_KEPT_PREFIX):]
            if w in st.session_state:
                st.session_state[k] = st.session_state[w]


def kept_values() -> dict:
    """The kept widget values (stored with a scenario)."""
    import datetime as _dt

    out = {}
    for k, v in st.session_state.items():
        if isinstance(k, str) and k.startswith(_KEPT_PREFIX):
            out[k[len(_KEPT_PREFIX):]] = v.isoformat() if isinstance(v, _dt.date) else v
    return out


def restore_widgets(values: dict) -> None:
    """Set kept widget values (opening a scenario); pages draw them on their next run."""
    for k, v in (values or {}).items():
        st.session_state[_KEPT_PREFIX + k] = v
        st.session_state.pop(k, None)


@st.cache_data(show_spinner=False, max_entries=16)
def solve_siting(data_key: tuple, overrides_json: str, solver: str, options_json: str = "{}"):
    """Siting result (a SitingResult) for (county, overrides, solver, options)."""
    import json

    from childplan.workflows import run_siting

    opts = json.loads(options_json)
    return run_siting(county_for(data_key), policy_from_json(overrides_json), solver=solver,
                      must_open=opts.get("must_open", ()), never_open=opts.get("never_open", ()),
                      locked=opts.get("locked", {}))


# --- snapshots and the briefing --------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=16)
def snapshot_bytes(data_key: tuple, title: str, lang: str, layers: tuple, measure: str,
                   overlay_key: tuple | None, fmt: str, bounds: tuple | None = None,
                   breaks: tuple | None = None) -> bytes:
    """A map snapshot (PNG or PDF) of the county, or of ``bounds`` (WGS84 W, S, E, N)."""
    from geo.snapshot import Overlay, figure_bytes, render_snapshot

    overlay = None
    if overlay_key is not None and overlay_key[0] == "siting":
        res = solve_siting(*overlay_key[1])
        overlay = Overlay(homes=res.homes, assignments=res.assignments)
    elif overlay_key is not None and overlay_key[0] == "staffing":
        v = solve_staffing(*overlay_key[1]).plan.villages.set_index("village_code")
        colours = v["shortfall"].map(lambda g: "#d7263d" if g > 0 else "#5aae61")
        overlay = Overlay(village_colours=colours, village_legend=(
            ("#d7263d", t("snap_legend_posts_open", lang)),
            ("#5aae61", t("snap_legend_fully_staffed", lang))))
    elif overlay_key is not None and overlay_key[0] == "hazards":
        from childplan.workflows import hazard_spots

        overlay = Overlay(spots=hazard_spots(county_for(data_key),
                                             policy_from_json(overlay_key[1])))
    elif overlay_key is not None and overlay_key[0] == "funding":
        values = pd.Series(dict(overlay_key[1]))
        overlay = Overlay(township_values=values, township_title=t("snap_legend_yuan", lang))
    fig = render_snapshot(county_for(data_key), title=title, lang=lang, layers=layers,
                          measure=measure, overlay=overlay, bounds=bounds, breaks=breaks)
    return figure_bytes(fig, fmt)


def snapshot_buttons(title: str, *, layers=("county", "townships", "waterways", "villages",
                                            "facilities"), measure: str = "resident_children",
                     overlay_key: tuple | None = None, key: str = "snap",
                     bounds: tuple | None = None, disabled: bool = False) -> None:
    """'Export map' → PNG and PDF downloads of what the page's map shows.

    ``bounds`` is the web map's current view (:func:`view_bounds`); given, the planner picks
    the whole county or that view.
    """
    from geo.i18n import t

    lg = lang()
    flag = f"{key}_wanted"
    view = None
    if bounds is not None:
        pick = st.radio(t("snap_extent", lg), ["county", "view"], horizontal=True,
                        key=f"{key}_extent", format_func=lambda k: t(f"snap_{k}", lg))
        view = bounds if pick == "view" else None
    if st.button(t("snap_export_button", lg), key=key, disabled=disabled):
        st.session_state[flag] = True
    if st.session_state.get(flag) and not disabled:
        shown = title if view is None else f"{title} · {t('snap_view', lg)}"
        args = (data_key(), shown, lg, tuple(layers), measure, overlay_key)
        with st.spinner(t("snap_drawing", lg)):
            from geo.snapshot import policy_breaks

            breaks = policy_breaks(policy(), measure)  # classes follow the policy in force
            png = snapshot_bytes(*args, "png", view, breaks)
            pdf = snapshot_bytes(*args, "pdf", view, breaks)
        c1, c2 = st.columns(2)
        c1.download_button(t("snap_download_png", lg), png, file_name=f"{key}.png",
                           mime="image/png", key=f"{key}_png")
        c2.download_button(t("snap_download_pdf", lg), pdf, file_name=f"{key}.pdf",
                           mime="application/pdf", key=f"{key}_pdf")


def view_bounds(returned: dict | None) -> tuple | None:
    """(west, south, east, north) of what ``st_folium(returned_objects=["bounds"])`` returned.

    None until the map has reported a view (or when it reports an empty one).
    """
    b = (returned or {}).get("bounds") or {}
    try:
        sw, ne = b["_southWest"], b["_northEast"]
        out = (float(sw["lng"]), float(sw["lat"]), float(ne["lng"]), float(ne["lat"]))
    except (KeyError, TypeError, ValueError):
        return None
    return out if out[2] > out[0] and out[3] > out[1] else None


@st.cache_data(show_spinner=False, max_entries=8)
def briefing_bytes(data_key: tuple, overrides_json: str, lang: str, siting_done, staffing_done,
                   funding_table, meta=None) -> bytes:
    """The one-page 简报 PDF, from the session's latest plans (computing what is missing).

    ``meta`` is a :class:`geo.briefing.BriefingMeta` (title, 编制单位, date, scenario name).
    """
    from childplan.workflows import briefing_inputs
    from geo.briefing import briefing_pdf

    data = county_for(data_key)
    pol = policy_from_json(overrides_json)
    siting = solve_siting(*siting_done) if siting_done else None
    staffing = solve_staffing(*staffing_done).plan if staffing_done else None
    inputs = briefing_inputs(data, pol, siting=siting, staffing=staffing, funding=funding_table)
    return briefing_pdf(data, inputs, lang=lang, policy=pol, meta=meta)


def solve_with_status(kind: str, want: tuple, solve, *, expected=()) -> None:
    """Run ``solve(*want)`` under a progress box and remember it as the last ``kind`` result.

    Every planning error (:class:`~optimization.errors.PlanningError`: bad data, bad input,
    infeasible, not solved) is shown with its explanation in the planner's language; bad data
    shows the report summary. ``expected`` are further error types whose message is shown as is.
    Nothing shows a traceback.
    """
    from geo.i18n import t
    from geo.report import DataError
    from optimization.errors import PlanningError

    with st.status(t("solve_running", lang()), expanded=False) as status:
        try:
            out = solve(*want)
            inner = getattr(out, "plan", out)
            stats = getattr(inner, "stats", None)
            record_result(kind, want, status=getattr(stats, "status", ""))
            status.update(label=t("brief_made", lang()), state="complete")
        except DataError as exc:
            status.update(label=t("err_data_error", lang()), state="error")
            st.error(exc.report.summary(lang()))
        except PlanningError as exc:
            status.update(label=t(f"err_{exc.kind}", lang()), state="error")
            st.error(exc.message(lang()))
        except expected as exc:
            status.update(label=t("err_infeasible", lang()), state="error")
            st.error(str(exc))
        except Exception as exc:  # shown, never a traceback
            status.update(label=str(exc)[:200], state="error")


def result_or_stop(kind: str, want: tuple, button_label: str, *, preview: str | None = None):
    """The last ``kind`` result on this county; stop the page with a hint when there is none.

    ``preview`` (a village measure of :data:`geo.maps.MEASURES`): before the first solve the
    page still shows the county — its villages sized and classed by that measure on the
    policy's breaks, with the facilities — so the planner sees what the plan will work on.
    """
    done = st.session_state.get(f"{kind}_done")
    if done and (done[0] != want[0]):
        done = None  # another county: nothing to show
    if not done:
        st.info(t("set_then_click", lang()).format(button=button_label))
        if preview is not None:
            preview_map(preview, key=f"{kind}_preview")
        stop()
    return done


def lock_labels(data, candidates, lg: str) -> tuple[dict, dict]:
    """Labels for the siting page's lock table, each unique.

    Village code -> "name（code）"; site id -> "name（kind · village）", a number added when two
    sites would still read the same. No site id is shown.
    """
    from geo.i18n import facility_label

    paren = t("paren", lg)
    vnames = dict(zip(data.villages["village_code"].astype(str), data.villages["name"].astype(str),
                      strict=True))
    vlabel = {c: n + paren.format(x=c) for c, n in vnames.items()}
    slabel, seen = {}, {}
    for r in candidates.itertuples(index=False):
        where = vnames.get(str(r.village_code), "") if pd.notna(r.village_code) else ""
        what = " · ".join(x for x in (facility_label(r.kind, lg), where) if x)
        text = str(r.name) + paren.format(x=what)
        seen[text] = seen.get(text, 0) + 1
        slabel[str(r.facility_id)] = text if seen[text] == 1 else f"{text} #{seen[text]}"
    return vlabel, slabel


def preview_map(measure: str, *, key: str) -> None:
    """The county map (villages by ``measure`` on the policy's classes, facilities), no plan."""
    from streamlit_folium import st_folium

    from geo.maps import build_county_map
    from geo.offline import localise_map
    from geo.snapshot import policy_breaks

    lg = lang()
    data = county_for(data_key())
    m = build_county_map(data, measure=measure, lang=lg,
                         layers=("county", "townships", "waterways", "villages", "facilities"),
                         breaks=policy_breaks(policy(), measure))
    localise_map(m)
    st.caption(t("preview_map_caption", lg).format(measure=t(measure, lg)))
    st_folium(m, height=520, use_container_width=True, returned_objects=[],
              key=f"{key}_{data.adcode}_{upload_digest() or ''}_{measure}_{lg}")


# --- 数据 page: update some villages' counts by code (childplan/partial.py) ---------------
_PARTIAL_KEY = "_childplan_partial_update"


def _update_counts(filename: str, payload: bytes):
    """Check a partial count table and, when it passes, use the data with it applied.

    Returns (report, changes): ``changes`` is None when the update was rejected (the data in
    use are untouched) and an empty table when it changes nothing.
    """
    from childplan.partial import (
        count_changes,
        read_count_update,
        relabel_report,
        updated_counts_csv,
    )

    key = data_key()
    full = county_for(key[:2])  # the whole county: the merged table must hold every village
    upd = read_count_update(filename, payload, county_for(key).villages)
    if not upd.ok:
        return upd.report, None
    changes = count_changes(full.villages, upd)
    if changes.empty:
        return upd.report, changes
    merged = f"{Path(filename).stem}（已合并）.csv"
    if key[0] == "upload":
        spec = key[1]
        files = [f for f in spec[0] if f[0] != "children"]
        base = spec[1]
        how = tuple(h for h in (spec[2] if len(spec) > 2 else ()) if h[0] != "children")
    else:
        files, base, how = [], key[1], ()
    files.append(("children", merged, updated_counts_csv(full.villages, upd), "wgs84"))
    new = load_uploaded(files, base, how)  # check first: switched only when it passes
    if not new.report.ok:
        return relabel_report(new.report, upd), None
    return upd.report, changes


def count_update_block() -> None:
    """The 数据 page's partial count update: upload, check, apply, and what changed."""
    from geo.safe import md
    from geo.schema import LAYERS

    lg = lang()
    st.subheader(t("partial_title", lg))
    st.caption(t("partial_help", lg))
    up = st.file_uploader(t("partial_upload", lg), type=["csv", "xlsx"], key="partial_counts")
    if st.button(t("partial_apply", lg), disabled=up is None, key="partial_apply"):
        county = current_county().name
        report, changes = _update_counts(up.name, up.getvalue())
        st.session_state[_PARTIAL_KEY] = (report, changes, up.name, county)
        if changes is not None and len(changes):
            st.rerun()  # the pages now use the updated counts
    shown = st.session_state.get(_PARTIAL_KEY)
    if not shown:
        return
    report, changes, name, county = shown
    if changes is None:
        st.error(t("partial_rejected", lg).format(county=md(county),
                                                  summary=report.summary(lg)))
        st.dataframe(report.to_frame(lg, codes=False), width="stretch", hide_index=True)
        return
    if changes.empty:
        st.info(t("partial_nothing", lg))
        return
    st.success(t("partial_done", lg).format(villages=f"{changes['village_code'].nunique():,}",
                                            cells=f"{len(changes):,}", file=md(name)))
    col = LAYERS["villages"].column
    shown_changes = changes.assign(column=[getattr(col(c), "zh" if lg == "zh" else "en")
                                           for c in changes["column"]])
    headers = {"village_code": "code", "name": "name", "column": "column", "before": "before",
               "after": "after"}
    st.dataframe(shown_changes.rename(columns={c: t(f"partial_col_{k}", lg)
                                               for c, k in headers.items()}),
                 width="stretch", hide_index=True)
    if report.problems:  # warnings (ignored columns)
        st.dataframe(report.to_frame(lg, codes=False), width="stretch", hide_index=True)
