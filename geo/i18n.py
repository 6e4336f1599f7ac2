"""The product's words in Chinese (default) and English: one catalogue for maps, pages and exports.

>>> t("villages", "zh"), t("villages", "en")
('村（社区）', 'Villages/communities')
"""

from __future__ import annotations

from geo.schema import FACILITY_STATUS, LAYERS
from optimization.vocab import (
    COUNTY_DESIGNATIONS,
    FACILITY_KINDS,
    ROAD_KINDS,
    ROSTER_ROLES,
    TARGET_SHORT_LABELS,
    TOWNSHIP_DESIGNATIONS,
    VILLAGE_DESIGNATIONS,
    WATER_KINDS,
)

__all__ = ["ENUM_GROUPS", "LANGS", "T", "column_label", "enum_label", "facility_label", "t",
           "water_label"]

LANGS = ("zh", "en")

T: dict[str, tuple[str, str]] = {
    "siting_gaps": ("已证明的间隙：费用 {cost}（待决定部分 {dcost}）· 距离 {dist}（待决定部分 {ddist}）"
                    " · 视为最优的容差 {tol}",
                    "proven gaps: cost {cost} (on the part being decided {dcost}) · distance "
                    "{dist} (on the part being decided {ddist}) · tolerance for optimal {tol}"),
    # capacity (issue 20)
    "capacity_meaning": ("容量指该儿童之家服务的全部儿童（含本村）；负荷 = 实际服务的儿童数",
                         "capacity counts every child the home serves, its own village "
                         "included; load = the children it serves"),
    "own_beyond_capacity_note": ("{n} 处儿童之家仅本村儿童就超过容量（超出本村容量）：不再接收邻村，"
                                 "请核实容量",
                                 "{n} homes have more children in their own village alone than "
                                 "their capacity (own village beyond capacity): they take no "
                                 "neighbours; check the capacity"),
    "capacitated_model": ("容量起约束作用：按单一归属容量模型求解（每村整体去一处）",
                          "capacities bind: solved with the single-source capacitated model "
                          "(each village goes whole to one home)"),
    "open_blocks_title": ("尚未证明最优的区块", "Blocks not yet proven optimal"),
    "open_block_line": ("区块 {block}：{villages} 个村、{sites} 个场所，间隙 {gap}；村：{ids}",
                        "block {block}: {villages} villages, {sites} sites, gap {gap}; "
                        "villages: {ids}"),
    "continue_solving": ("继续求解：以 {s} 秒时限重新求解", "Continue solving: solve again with a "
                         "{s} s limit"),
    "time_limit_hit": ("求解时限已到，方案可行但未证明最优；以下区块的间隙仍未闭合",
                       "the time limit stopped the solve: the plan is feasible but not proven "
                       "optimal; these blocks are still open"),
    "capacity_defaults_on": ("按场所类型默认容量和新建规格（小/大）",
                             "Default capacities by host kind and new-build sizes (small/large)"),
    "capacity_by_kind_title": ("按场所类型的默认容量（儿童，含本村）",
                               "Default capacity by host kind (children, own village included)"),
    "new_build_size.small": ("小型新建", "small new build"),
    "new_build_size.large": ("大型新建", "large new build"),
    "new_build_cost": ("{size}成本（元）", "{size}: cost (yuan)"),
    "new_build_capacity": ("{size}容量（儿童）", "{size}: capacity (children)"),
    "col_block": ("区块", "Block"),
    "col_villages_n": ("村数", "Villages"),
    "col_sites_n": ("候选场所数", "Candidate sites"),
    "col_gap": ("已证明的间隙", "Proven gap"),
    "col_village_codes": ("村代码（前 10 个）", "Village codes (first 10)"),
    "col_load": ("负荷（服务儿童，含本村）", "Load (children served, own village included)"),
    "col_capacity": ("容量（服务儿童总数，含本村）", "Capacity (all children served, own village "
                     "included)"),
    "col_capacity_use": ("负荷 / 容量", "Load / capacity"),
    "col_own_children": ("本村儿童", "Own village's children"),
    "col_own_beyond_capacity": ("本村儿童超出容量", "Own village beyond capacity"),
    "col_size": ("新建规格", "New-build size"),
    "col_capacity_source": ("容量来源", "Capacity from"),
    "capacity_source.data": ("数据（设施容量）", "data (facility capacity)"),
    "capacity_source.kind": ("按类型默认", "default by kind"),
    "capacity_source.size": ("新建规格", "new-build size"),
    "capacity_source.default": ("统一默认容量", "default capacity"),
    "capacity_source.": ("不限", "unlimited"),
    # navigation
    "app_title": ("留守儿童与困境儿童关爱服务规划", "Planning care for left-behind children "
                  "and children in difficulty"),
    "nav_map": ("地图", "Map"),
    "nav_siting": ("儿童之家选址", "Children's homes"),
    "nav_staffing": ("人员配置", "Staffing"),
    "nav_funding": ("经费分配", "Funding"),
    "nav_hazards": ("防溺水", "Drowning risk"),
    "nav_scenarios": ("情景对比", "Scenarios"),
    "nav_data": ("数据", "Data"),
    "nav_batch": ("批量规划", "Batch planning"),
    # the column-mapping step of an upload (app_pages/data.py)
    "column_mapping": ("列对应", "Column mapping"),
    "mapping_help": ("确认每一列对应的字段（已按表头给出建议）；可保存为模板，下次直接套用，"
                     "命令行用 --mapping 模板.json",
                     "Confirm the field each of your columns holds (suggested from the headers); "
                     "save it as a template to reuse, or pass it to the CLI with --mapping"),
    "sheet_or_layer": ("工作表/图层", "Sheet/layer"),
    "your_header": ("您的表头", "Your header"),
    "our_field": ("对应字段", "Field"),
    "not_used": ("（不使用）", "(not used)"),
    "save_template": ("保存列对应模板", "Save mapping template"),
    "load_template": ("套用已保存的模板", "Apply a saved template"),
    "rows_found": ("识别到的数据行", "data rows found"),
    "language": ("语言 / Language", "Language / 语言"),
    "data_source": ("数据来源", "Data source"),
    "demo_county": ("内置示例区县", "Embedded demo county"),
    "uploaded": ("上传的数据", "Uploaded data"),
    # layers
    "county": ("区县边界", "County boundary"),
    "townships": ("乡镇（街道）", "Townships/streets"),
    "villages": ("村（社区）", "Villages/communities"),
    "facilities": ("设施", "Facilities"),
    "waterways": ("水系", "Waterways"),
    "crossings": ("桥梁/过河点", "Bridges/crossings"),
    "roads": ("道路", "Roads"),
    # travel (geo/travel.py)
    "travel_metric": ("距离度量", "Distance metric"),
    "metric_straight": ("直线距离（经桥梁过河）", "Straight line (rivers at bridges)"),
    "metric_road_m": ("道路距离（米）", "Road distance (m)"),
    "metric_walk_min": ("步行时间（分钟，道路与地形）", "Walking minutes (roads and terrain)"),
    "travel_cap_min": ("最长步行时间（分钟）", "Longest walk (minutes)"),
    "metric_used": ("本方案的距离度量", "Distance metric of this plan"),
    "staff_metric_note": ("儿童主任路程：步行时间与道路距离均按道路路线米数计算",
                          "Director travel: walking minutes and road distance both use route metres"),
    "mean_walk_min": ("平均步行（分钟）", "Mean walk (min)"),
    "access_title": ("可达性：到最近儿童之家的步行时间", "Accessibility: walk to the nearest home"),
    "access_layer": ("到最近儿童之家（分钟）", "Minutes to the nearest home"),
    "catchments_layer": ("服务范围（步行上限内）", "Catchments (within the walking cap)"),
    "within_min": ("步行分钟以内", "Within minutes"),
    "share_resident": ("常住儿童占比", "Share of resident children"),
    "share_left_behind": ("留守儿童占比", "Share of left-behind children"),
    "share_difficulty": ("困境儿童占比", "Share of children in difficulty"),
    "catchments_title": ("各儿童之家服务范围", "Catchment of each home"),
    "children_assigned": ("分配儿童", "Children assigned"),
    "children_within_cap": ("上限内儿童", "Children within the cap"),
    "villages_within_cap": ("上限内村数", "Villages within the cap"),
    "institutions_title": ("机构间步行时间（001 §2 最近的儿童福利机构）",
                           "Walking time between institutions (001 §2 nearest welfare institution)"),
    "nearest": ("最近", "Nearest"),
    "walk_min": ("步行（分钟）", "Walk (min)"),
    "route_m": ("路线（米）", "Route (m)"),
    "show_access": ("显示可达性与服务范围（步行时间模型）",
                    "Show accessibility and catchments (walking-time model)"),
    "download_access_xlsx": ("下载可达性与服务范围 XLSX", "Download accessibility and catchments XLSX"),
    "hz_water_metric": ("到水体的距离度量（汛期排查、最近水体）",
                        "Distance to the water (flood list, nearest water)"),
    "hz_straight_m": ("直线距离（米）", "Straight line (m)"),
    "hz_nearest_water_walk_min": ("到最近水体步行（分钟）", "Walk to the nearest water (min)"),
    "access_brief_head": ("步行到最近儿童之家（常住/留守/困境儿童占比）",
                          "Walk to the nearest home (resident / left-behind / in difficulty)"),
    "access_brief": ("{b} 分钟内 {r}/{l}/{d}", "≤ {b} min {r} / {l} / {d}"),
    "nearest_welfare_title": ("最近的儿童福利机构（001 §2，步行模型）",
                              "Nearest welfare institution (001 §2, walking model)"),
    "from_institution": ("机构", "Institution"),
    "to_institution": ("儿童福利机构", "Welfare institution"),
    "access_band_over": ("超过 {b} 分钟或不可达", "over {b} min or unreachable"),
    "welfare_rank": ("远近顺序（1 = 最近）", "Order (1 = nearest)"),
    "straight_m": ("直线（米）", "Straight (m)"),
    "roster": ("候选人员名册", "Candidate roster"),
    "dem": ("高程", "Elevation"),
    "legend": ("图例", "Legend"),
    # the map page's identify / search / attribute table (issue 17)
    "designations": ("认定", "Designations"),
    "attribute_table": ("属性表：村（社区）", "Attribute table: villages"),
    "village_search": ("查找村（社区）：名称或代码", "Find a village: name or code"),
    "village_search_help": ("输入村名的一部分或代码的开头，地图缩放到该村；也查找设施"
                            "（儿童之家、救助保护机构、福利机构等）的名称",
                            "Type part of a name or the start of a code; the map zooms to it. "
                            "Facility names (children's homes, institutions…) are found too"),
    "village_search_none": ("没有名称包含或代码以“{q}”开头的村（社区），也没有名称包含它的设施",
                            "No village name contains, and no code starts with, “{q}”, "
                            "and no facility name contains it"),
    "village_search_pick": ("找到 {n} 个，选择一个", "{n} found, pick one"),
    "village_found": ("已定位：{name}（{code}）", "Zoomed to {name} ({code})"),
    "map_view_reset": ("显示全县", "Show the whole county"),
    "layer_picker": ("图层", "Layers"),
    "village_clicked": ("表中为地图上点选的村：{name}（{code}）",
                        "The table shows the village clicked on the map: {name} ({code})"),
    "village_clicked_all": ("显示全部", "Show all"),
    "id_home": ("服务的儿童之家", "Served by (children's home)"),
    "id_home_distance": ("到儿童之家", "Distance to the home"),
    "id_uncovered": ("未覆盖", "not covered"),
    "id_own_home": ("本村", "in the village"),
    "id_straight": ("直线", "straight line"),
    "id_by_road": ("道路", "by road"),
    "id_reaches_near": ("{m} 米内危险河段", "Danger reaches within {m} m"),
    # map tooltips and layers (plans)
    "map_assignments": ("服务关系", "Assignments"),
    # accounts (intranet serving)
    "login_title": ("登录", "Sign in"),
    "login_name": ("账号", "User name"),
    "login_password": ("密码", "Password"),
    "login_submit": ("登录", "Sign in"),
    "login_failed": ("账号或密码不正确", "Wrong user name or password"),
    "login_as": ("已登录：{name}（{role} {township}）", "Signed in: {name} ({role} {township})"),
    "logout": ("退出登录", "Sign out"),
    "role_county": ("区县", "county"),
    "role_township": ("乡镇", "township"),
    "map_funding_amount": ("金额（元）", "Amount (yuan)"),
    "map_homes": ("儿童之家", "Children's homes"),
    "map_staff_directors": ("需儿童主任 {needed} 人，已配 {assigned} 人",
                            "directors needed {needed}, assigned {assigned}"),
    "map_staff_gap": ("，缺 {gap} 人", ", gap {gap}"),
    "map_staff_hours": ("每人每月约 {hours:.1f} 小时", "about {hours:.1f} h/month each"),
    "map_site_children": ("常住儿童 {n}；", "{n} children; "),
    "map_site_uncovered": ("未覆盖", "not covered"),
    "map_site_own": ("自有儿童之家", "own home"),
    "map_site_shared": ("共建之家距离 {m:.0f} 米", "shared home {m:.0f} m away"),
    "map_home_served": ("服务 {villages} 个村、{children} 名儿童",
                        "{villages} villages, {children} children"),
    "north": ("北", "N"),
    "north_arrow": ("北 N", "N"),  # the north arrow of printed maps (geo/mapdecor.py)
    "synthetic_mark": ("示意数据", "Illustrative (synthetic) data"),
    "synthetic_note": ("图中含示意（合成）数据，仅供演示，不代表实际情况",
                       "The map shows synthetic data for demonstration only"),
    # measures
    "measure": ("村点大小与颜色", "Village size and colour"),
    "resident_children": ("常住儿童", "Resident children"),
    "left_behind": ("农村留守儿童", "Left-behind children"),
    "difficulty": ("困境儿童", "Children in difficulty"),
    "targets": ("服务对象（留守+困境）", "Service targets (left-behind + difficulty)"),
    "key_attention": ("重点关注儿童", "Key-attention cases"),
    "children_unit": ("人", "children"),
    "river": ("河流", "River"),
    "water_lines": ("河流、溪沟、渠道", "Rivers, streams, canals"),
    "water_areas": ("水库、山坪塘", "Reservoirs and ponds"),
    # validation
    "report": ("数据检查报告", "Validation report"),
    "report_ok": ("数据检查通过", "The data passed validation"),
    "upload_help": ("上传本区县的数据文件（GeoPackage、GeoJSON、Shapefile 打包 zip、CSV、XLSX）",
                    "Upload your county's files (GeoPackage, GeoJSON, zipped Shapefile, CSV, XLSX)"),
    "coord_system": ("坐标系", "Coordinate system"),
    "wgs84": ("WGS84/CGCS2000（GPS、天地图）", "WGS84/CGCS2000 (GPS, Tianditu)"),
    "gcj02": ("GCJ-02（高德、腾讯地图）", "GCJ-02 (Amap, Tencent)"),
    "bd09": ("BD-09（百度地图）", "BD-09 (Baidu)"),
    "basemap": ("底图", "Basemap"),
    "basemap_none": ("无（离线，使用本地矢量数据）", "None (offline: our own vector layers)"),
    "basemap_osm": ("OpenStreetMap 在线瓦片（需联网）", "OpenStreetMap online tiles (needs network)"),
    "counts": ("汇总", "Totals"),
    "download": ("下载", "Download"),
    "errors": ("错误", "Errors"),
    "warnings": ("警告", "Warnings"),
    # snapshots
    "snap_extent": ("快照范围", "Snapshot of"),
    "snap_county": ("整个区县", "the whole county"),
    "snap_view": ("当前视图", "the current view"),
    # the plan in force (childplan/plan.py, issue 13)
    "plan_unsaved": ("未保存的方案", "unsaved plan"),
    "plan_named": ("当前方案：{name}", "Plan in force: {name}"),
    "set_then_click": ("设置参数后点击“{button}”。", "Set the parameters and click '{button}'."),
    "brief_make": ("生成一页简报（PDF）", "Make the one-page briefing (PDF)"),
    "brief_making": ("正在生成简报…", "Making the briefing…"),
    "brief_made": ("完成", "Done"),
    "brief_download": ("下载简报 PDF", "Download the briefing PDF"),
    "sc_pg_saved_revision": ("已保存“{name}”（第 {revision} 版）", "Saved '{name}' (revision {revision})"),
    "plan_stale": ("{kind}结果已过期：数据或参数已更改，导出和简报已停用，请重新求解。",
                   "The {kind} result is stale (过期): the data or parameters changed; exports "
                   "and the briefing are off until it is solved again."),
    "plan_resolve": ("重新求解", "Solve again"),
    "plan_kind_siting": ("选址", "siting"),
    "plan_kind_staffing": ("人员配置", "staffing"),
    "plan_kind_funding": ("经费分配", "funding"),
    "plan_kind_phased": ("分年度计划", "plan by year"),
    "plan_brief_stale": ("有过期的结果（{kinds}）：请先重新求解，再生成简报。",
                         "Stale results ({kinds}): solve them again before making the briefing."),
    "plan_opened": ("已打开“{name}”：数据、政策参数、结果和页面设置均已恢复。",
                    "Opened '{name}': data, policy, results and page settings restored."),
    "plan_data_differs": ("该方案的数据与当前数据不同（内容摘要 {saved} ≠ {now}），其结果标为过期。",
                          "This scenario's data differ from the data in use (digest {saved} ≠ "
                          "{now}): its results are marked stale."),
    "plan_resolve_all": ("重新求解过期结果", "Solve the stale results again"),
    "cmp_baseline": ("基准方案", "Baseline"),
    "cmp_reads": ("差异均为“方案 − 基准”，基准：{base}", "Differences read scenario − baseline; baseline: {base}"),
    "cmp_params": ("不同的参数", "Parameters that differ"),
    "cmp_params_none": ("所选方案的政策参数相同。", "The scenarios' policy parameters are the same."),
    "cmp_col_param": ("参数", "parameter"),
    "cmp_col_scenario": ("方案", "scenario"),
    "cmp_col_scenario_value": ("方案取值", "scenario value"),
    "cmp_col_base_source": ("基准来源", "baseline source"),
    "cmp_col_scenario_source": ("方案来源", "scenario source"),
    "cmp_src_file": ("政策文件默认", "policy file"),
    "cmp_src_override": ("方案调整", "scenario override"),
    "upload_rejected": ("检查未通过，未切换数据：仍在使用{county}的数据。{summary}",
                        "The check failed; the data were not switched: still using {county}. "
                        "{summary}"),
    # partial count update on the 数据 page (childplan/partial.py)
    "partial_title": ("按村代码更新部分村的儿童数", "Update some villages' counts by code"),
    "partial_help": ("上传一张小表：村代码 + 要更新的儿童数列（如 留守儿童数）。先检查，全部通过才更新；"
                     "留空的格子保持原值，其他村不变。",
                     "Upload a small table: the village code and the counts to update (e.g. "
                     "left_behind). It is checked first and used only if it passes; blank cells "
                     "keep their counts, other villages stay as they are."),
    "partial_upload": ("部分儿童数表（CSV 或 XLSX）", "Partial count table (CSV or XLSX)"),
    "partial_apply": ("检查并更新儿童数", "Check and update the counts"),
    "partial_rejected": ("检查未通过，儿童数未更改：仍在使用{county}原有的数据。{summary}",
                         "The check failed; no count was changed: still using {county}'s data "
                         "as they were. {summary}"),
    "partial_done": ("已更新 {villages} 个村的 {cells} 项儿童数（{file}）。",
                     "Updated {cells} count(s) of {villages} village(s) ({file})."),
    "partial_nothing": ("表中的儿童数与当前数据相同，未作更改。",
                        "The table's counts equal the data in use: nothing was changed."),
    "partial_col_code": ("村代码", "village code"),
    "partial_col_name": ("村名称", "village"),
    "partial_col_column": ("儿童数列", "count"),
    "partial_col_before": ("更新前", "before"),
    "partial_col_after": ("更新后", "after"),
    # the 简报 (geo/briefing, the map page)
    "brief_meta": ("简报信息（标题、编制单位、日期、方案）", "Briefing details (title, compiled by, date, scenario)"),
    "brief_title": ("简报标题", "Title"),
    "brief_title_default": ("留空则为“<区县>农村留守儿童和困境儿童关爱服务简报”",
                            "Empty: '<county>: care for left-behind children and children in difficulty'"),
    "brief_org": ("编制单位", "Compiled by"),
    "brief_date": ("日期", "Date"),
    "brief_scenario": ("方案名称", "Scenario name"),
    # drowning risk (geo/hazards, geo/patrol, geo/maps_hazards, app_pages/hazards)
    "hz_title": ("防溺水：危险水域与河长巡查", "Drowning risk: danger spots and river-chief patrols"),
    "hz_segments": ("河段风险", "Segment risk"),
    "hz_spots": ("危险点", "Danger spots"),
    "hz_spot_id": ("危险点编号", "Spot id"),
    "hz_rank": ("排名", "Rank"),
    "hz_no": ("序号", "No."),
    "hz_river": ("水体名称", "Water body"),
    "hz_kind": ("水体类型", "Kind of water"),
    "hz_village": ("村（社区）", "Village/community"),
    "hz_village_code": ("村代码", "Village code"),
    "hz_township": ("乡镇（街道）", "Township/street"),
    "hz_township_code": ("乡镇代码", "Township code"),
    "hz_lon": ("经度（WGS84）", "Longitude (WGS84)"),
    "hz_lat": ("纬度（WGS84）", "Latitude (WGS84)"),
    "hz_lon_gcj02": ("经度（GCJ-02，高德/腾讯地图）", "Longitude (GCJ-02, Amap/Tencent)"),
    "hz_lat_gcj02": ("纬度（GCJ-02，高德/腾讯地图）", "Latitude (GCJ-02, Amap/Tencent)"),
    "hz_wgs84": ("WGS84 经纬度", "WGS84 lon, lat"),
    "hz_gcj02": ("GCJ-02 经纬度（手机地图）", "GCJ-02 lon, lat (phone maps)"),
    "hz_children_exposed": ("周边常住儿童数", "Resident children nearby"),
    "hz_left_behind_within": ("其中留守儿童", "of whom left-behind"),
    "hz_difficulty_within": ("其中困境儿童", "of whom in difficulty"),
    "hz_facilities_within": ("周边学校/幼儿园/儿童之家", "Schools/kindergartens/儿童之家 nearby"),
    "hz_score": ("风险分值", "Risk score"),
    "hz_chief": ("河长", "River chief"),
    "hz_township_chief": ("乡镇级河长", "Township river chief"),
    "hz_village_chief": ("村级河长", "Village river chief"),
    "hz_four_ones": ("“四个一”状态", "'Four ones' status"),
    "hz_four_ones_missing": ("缺少项", "Missing items"),
    "hz_complete": ("齐全", "complete"),
    "hz_missing": ("缺", "missing"),
    "hz_flagged": ("待补齐", "to complete"),
    "hz_never_checked": ("未检查", "never checked"),
    "hz_last_inspection": ("最近检查日期", "Last inspection"),
    "hz_checked_by": ("检查人（职务或编码）", "Checked by (role or code)"),
    "warning_sign": ("警示牌", "warning sign"),
    "life_buoy": ("救生圈", "life buoy"),
    "rescue_rope": ("救生绳", "rescue rope"),
    "rescue_pole": ("救生杆", "rescue pole"),
    "hz_flood": ("汛期涉儿童机构周边水域排查清单", "Flood season: water near children's institutions"),
    "hz_facility": ("机构", "Institution"),
    "hz_facility_kind": ("机构类型", "Kind of institution"),
    "hz_distance_m": ("距离（米）", "Distance (m)"),
    "hz_direction": ("水体方位", "Direction of the water"),
    "hz_patrol_title": ("河长巡查清单", "River-chief patrol list"),
    "hz_patrol_note": ("请按序巡查各危险点，核对“四个一”（警示牌、救生圈、救生绳、救生杆），"
                       "缺项及时补齐并记录检查日期与检查人。",
                       "Patrol each danger spot in order, check the 'four ones' (warning sign, "
                       "life buoy, rescue rope, rescue pole), replace what is missing and record "
                       "the date and who checked."),
    "hz_filter_township": ("乡镇（街道）", "Township/street"),
    "hz_filter_chief": ("河长", "River chief"),
    "hz_filter_kind": ("水体类型", "Kind of water"),
    "hz_all": ("全部", "All"),
    "hz_checklist": ("“四个一”检查记录", "'Four ones' checklist"),
    "hz_checked_on": ("检查日期", "Checked on"),
    "hz_note": ("备注", "Note"),
    "hz_save": ("保存检查记录", "Save the check"),
    "hz_saved": ("已保存", "Saved"),
    "hz_history": ("历史记录", "History"),
    "hz_no_spots": ("没有符合条件的危险点", "No danger spot matches the filters"),
    "hz_segments_legend": ("河段风险分值", "Segment risk score"),
    "hz_no_risk": ("周边无儿童", "No children nearby"),
    "hz_spots_flagged": ("“四个一”缺项的危险点", "Danger spots missing 'four ones' items"),
    "hz_spots_ok": ("“四个一”齐全", "'Four ones' complete"),
    "hz_state_complete": ("已检查·“四个一”齐全", "Checked: 'four ones' complete"),
    "hz_state_missing": ("已检查·“四个一”缺项", "Checked: 'four ones' items missing"),
    "hz_state_unchecked": ("尚未检查", "Not yet checked"),
    "hz_reach": ("危险河段（起止桩号）", "Danger reach (chainage)"),
    "hz_reach_id": ("危险河段编号", "Reach id"),
    "hz_reach_length": ("河段长度（米）", "Reach length (m)"),
    "hz_reach_segments": ("所含河段数", "Segments in the reach"),
    "hz_total_score": ("河段累计风险分值", "Total risk score of the reach"),
    "hz_reaches": ("危险河段", "Danger reaches"),
    "hz_flood_institutions": ("汛期排查机构", "Institutions to inspect (flood season)"),
    "hz_flood_pairs": ("机构—水体对", "institution–water pairs"),
    "hz_segments_n": ("河段", "Segments"),
    "hz_segments_children": ("周边有儿童的河段", "Segments with children nearby"),
    "hz_method": ("评分方法", "How segments are scored"),
    "hz_safety_activities": ("每村每年安全知识活动", "Safety-knowledge activities per village per year"),
    # planning errors (optimization/errors.py): the status label per kind
    "err_data_error": ("数据有错误", "The data has errors"),
    "err_bad_input": ("输入无法使用", "The input cannot be used"),
    "err_infeasible": ("无可行方案", "No feasible plan"),
    "err_not_solved": ("未能求解", "Not solved"),
    "err_error": ("无可行方案", "No feasible plan"),
    # the phased plan (app_pages/phased.py, childplan/workflows_phased.py, issue 21)
    "nav_phased": ("分年度计划", "Plan by year"),
    "phased_intro": ("儿童年满 18 岁退出、新生儿童进入，三年计划是一个序列：每年在当年预算内决定新开哪些"
                     "儿童之家（开放后持续运行），使各年覆盖的儿童（按政策覆盖权重）合计最多，再使费用最少。",
                     "Children age out at 18 and new ones enter, so a three-year plan is a sequence: "
                     "each year decides which homes open within that year's budget (a home stays "
                     "open), maximising the children covered over the years (policy coverage "
                     "weights), then minimising the cost."),
    "phased_first_year": ("起始年度", "First year"),
    "phased_last_year": ("结束年度", "Last year"),
    "phased_budget": ("每年预算（元）", "Budget per year (yuan)"),
    "phased_carry_over": ("当年未用完的预算结转下一年", "Unspent budget carries over to the next year"),
    "phased_entry_rate": ("每年新进入儿童占现有名单儿童的比例（留空：按 0–5 岁实际结构）",
                          "New children per year as a share of those listed (blank: observed 0–5 cohorts)"),
    "phased_persons": ("儿童名单（可选，XLSX/CSV，只在内存中汇总）",
                       "Person lists (optional, XLSX/CSV, aggregated in memory only)"),
    "phased_solve": ("求解分年度计划", "Solve the plan by year"),
    "phased_openings": ("各年度新开儿童之家", "Homes opened by year"),
    "phased_by_year": ("各年度预算、覆盖与儿童主任", "Budget, coverage and directors by year"),
    "phased_training": ("培训安排（按年度）", "Training calendar by year"),
    "phased_map": ("各年度地图", "Map by year"),
    "map_year": ("年度", "Year"),
    "map_year_now": ("现状（当前数据）", "Today (data as loaded)"),
    "map_year_y": ("{year}年（分年度计划）", "{year} (plan by year)"),
    "map_year_note": ("地图与下表显示分年度计划中 {year} 年的儿童数（按名单推算时为预测值，取整）；"
                      "点击村点可见该年为其服务的儿童之家。地图快照和简报只按当前数据生成，选“现状”后可用。",
                      "The map and the table show the plan by year's children for {year} (projected "
                      "when person lists were given, rounded); a village's panel names the home serving "
                      "it that year. The map snapshot and the briefing use today's data only: choose "
                      "'Today' to make them."),
    "phased_map_year": ("年度", "Year"),
    "phased_map_caption": ("{year}年：开放的儿童之家 {homes} 所，覆盖 {villages} 个村（社区）、{children} 名儿童"
                           "（该年的儿童数）",
                           "{year}: {homes} homes open, {villages} villages and {children} children "
                           "covered (that year's counts)"),
    "phased_no_projection": ("未提供儿童名单：各年度沿用村图层的儿童数（未按年龄推算）",
                             "No person list given: every year uses the village layer's counts "
                             "(no ageing projection)"),
    "phased_projected": ("各年度儿童数按名单出生年份推算（年满 18 岁退出）",
                         "Counts per year projected from the lists' birth years (ageing out at 18)"),
    "phased_status": ("求解状态", "Solver status"),
    "phased_spent": ("合计支出（元）", "Total spent (yuan)"),
    "phased_homes_opened": ("新开儿童之家", "Homes opened"),
    "phased_final_coverage": ("末年儿童覆盖率", "Final-year coverage"),
    "phased_solve_time": ("求解用时（秒）", "Solve time (s)"),
    "phased_download": ("下载 XLSX", "Download XLSX"),
    "phased_years_bad": ("结束年度不能早于起始年度", "The last year cannot be before the first"),
    "phased_solver": ("求解器", "Solver"),
    "phased_hint": ("设置年度与预算后点击“求解分年度计划”。",
                    "Set the years and the budget, then click 'Solve the plan by year'."),
    "phased_stale": ("参数或数据已改变，下面是上一次的结果（已过期，下载已停用）：请重新求解",
                     "The parameters or data changed: below is the previous result (stale, "
                     "downloads off); solve again"),
    "phased_position.director": ("儿童主任", "child director"),
    "phased_position.supervisor": ("儿童督导员", "child supervisor"),
    "phased_kind.initial": ("初任培训", "initial training"),
    "phased_kind.annual": ("年度轮训", "annual training"),
    "phased_organiser.county": ("县级民政部门", "county civil-affairs bureau"),
    "phased_organiser.prefecture": ("市级民政部门", "prefecture civil-affairs bureau"),
}


# --- enumeration values: key "<group>.<code>" -------------------------------------------------
# The codes are the stable ones of optimization/vocab.py and geo/schema.py (exports keep them
# with --codes); the words come from the same tables so a kind is named once.

#: Solver and plan statuses as a planner reads them.
_STATUS_WORDS: dict[str, tuple[str, str]] = {
    "optimal": ("已找到最优方案（已证明）", "optimal plan found (proven)"),
    "feasible": ("已找到可行方案（未证明最优）", "feasible plan found (not proven optimal)"),
    "infeasible": ("无可行方案", "no feasible plan"),
    "time_limit": ("达到时间上限", "time limit reached"),
    "unbounded": ("问题无界", "unbounded"),
    "error": ("求解出错", "solver error"),
}
_GENDERS: dict[str, tuple[str, str]] = {"F": ("女", "female"), "M": ("男", "male"),
                                        "": ("未填", "not given")}
_BOOLS: dict[str, tuple[str, str]] = {"true": ("是", "yes"), "false": ("否", "no")}
_FOUR_ONES: dict[str, tuple[str, str]] = {
    "warning_sign": ("警示牌", "warning sign"), "life_buoy": ("救生圈", "life buoy"),
    "rescue_rope": ("救生绳", "rescue rope"), "rescue_pole": ("救生杆", "rescue pole"),
}
_FOUR_ONES_STATES: dict[str, tuple[str, str]] = {
    "complete": ("齐全", "complete"), "missing": ("有缺项", "items missing"),
    "unchecked": ("未检查", "never checked"),
}
_HOME_ACTIONS: dict[str, tuple[str, str]] = {
    "existing": ("已有", "existing"), "reuse": ("改建", "reuse"), "new": ("新建", "new"),
}
_CANDIDATE_FOR: dict[str, tuple[str, str]] = {
    "director": ("儿童主任", "children's director"), "supervisor": ("儿童督导员", "supervisor"),
    "either": ("均可", "either"),
}

#: group -> code -> (zh, en): every enumeration value a table, export or page shows.
ENUM_GROUPS: dict[str, dict[str, tuple[str, str]]] = {
    "kind": dict(FACILITY_KINDS),
    "water": {k: (v[0], v[1]) for k, v in WATER_KINDS.items()},
    "road": dict(ROAD_KINDS),
    "role": dict(ROSTER_ROLES),
    "candidate_for": _CANDIDATE_FOR,
    "gender": _GENDERS,
    "status": dict(FACILITY_STATUS),
    "action": _HOME_ACTIONS,
    "solver_status": _STATUS_WORDS,
    "bool": _BOOLS,
    "four_ones": _FOUR_ONES,
    "four_ones_state": _FOUR_ONES_STATES,
    "target": dict(TARGET_SHORT_LABELS),
    "designation": {**COUNTY_DESIGNATIONS, **TOWNSHIP_DESIGNATIONS, **VILLAGE_DESIGNATIONS},
}
for _g, _vals in ENUM_GROUPS.items():
    for _code, _pair in _vals.items():
        T.setdefault(f"{_g}.{_code}", (_pair[0], _pair[1]))


def enum_label(group: str, code: object, lang: str = "zh") -> str:
    """The word for an enumeration value; the code itself (as text) when unknown.

    >>> enum_label("role", "grid_worker"), enum_label("water", "canal", "en")
    ('网格员', 'canal')
    >>> enum_label("solver_status", "optimal"), enum_label("gender", "F", "en")
    ('已找到最优方案（已证明）', 'female')
    >>> enum_label("bool", True), enum_label("kind", "unknown_kind")
    ('是', 'unknown_kind')
    """
    if isinstance(code, bool):
        code = "true" if code else "false"
    key = "" if code is None else str(code)
    pair = ENUM_GROUPS.get(group, {}).get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def t(key: str, lang: str = "zh") -> str:
    """The text for ``key`` in ``lang`` ('zh' or 'en'); the key itself if unknown."""
    pair = T.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def facility_label(kind: str, lang: str = "zh") -> str:
    """Label of a facility kind."""
    zh, en = FACILITY_KINDS.get(kind, (kind, kind))
    return zh if lang == "zh" else en


def water_label(kind: str, lang: str = "zh") -> str:
    """Label of a water kind."""
    zh, en, _ = WATER_KINDS.get(kind, (kind, kind, ""))
    return zh if lang == "zh" else en


def column_label(layer: str, column: str, lang: str = "zh") -> str:
    """Header for a layer's column in exports and tables."""
    if column in T:
        return t(column, lang)
    try:
        c = LAYERS[layer].column(column)
    except KeyError:
        return column
    return c.zh if lang == "zh" else c.en

#: Labels of the key figures scenarios are compared by.
FIGURE_LABELS: dict[str, tuple[str, str]] = {
    "villages": ("村（社区）数", "Villages"),
    "resident_children": ("常住儿童", "Resident children"),
    "left_behind": ("农村留守儿童", "Left-behind children"),
    "difficulty": ("困境儿童", "Children in difficulty"),
    "homes_existing": ("儿童之家：已有", "Homes: existing"),
    "homes_reuse": ("儿童之家：改建", "Homes: reuse"),
    "homes_new": ("儿童之家：新建", "Homes: new"),
    "siting_cost_yuan": ("建设改造费用（元）", "Set-up cost (yuan)"),
    "villages_covered_pct": ("覆盖村比例（%）", "Villages covered (%)"),
    "mean_distance_m": ("按儿童加权的平均距离（米）", "Child-weighted mean distance (m)"),
    "directors_required": ("儿童主任：需配", "Directors: required"),
    "directors_assigned": ("儿童主任：已配", "Directors: assigned"),
    "directors_to_recruit": ("儿童主任：待招募", "Directors: to recruit"),
    "supervisors_assigned": ("儿童督导员：已配", "Supervisors: assigned"),
    "budget_yuan": ("经费合计（元）", "Budget (yuan)"),
    "funding_max_yuan": ("乡镇最高金额（元）", "Highest township amount (yuan)"),
    "funding_min_yuan": ("乡镇最低金额（元）", "Lowest township amount (yuan)"),
    "phased_spent_yuan": ("分年度计划：投入合计（元）", "Plan by year: spent (yuan)"),
    "phased_homes_opened": ("分年度计划：开设儿童之家", "Plan by year: homes opened"),
    "phased_final_coverage_pct": ("分年度计划：末年儿童覆盖率（%）",
                                  "Plan by year: children covered in the last year (%)"),
}
#: Year-by-year figures of a phased plan: ``<key>@<year>`` (``phased_coverage_pct@2026``).
FIGURE_YEAR_LABELS: dict[str, tuple[str, str]] = {
    "phased_coverage_pct": ("{year}年儿童覆盖率（%）", "Children covered in {year} (%)"),
    "phased_spent_yuan": ("{year}年投入（元）", "Spent in {year} (yuan)"),
}

#: Per-township measures a comparison can map.
TOWNSHIP_MEASURES: dict[str, tuple[str, str]] = {
    "funding": ("经费（元）", "Funding (yuan)"),
    "directors_needed": ("需配儿童主任", "Directors required"),
    "directors_assigned": ("已配儿童主任", "Directors assigned"),
    "homes_open": ("儿童之家数", "Homes open"),
    "homes_new": ("新建儿童之家", "New homes"),
}


def figure_label(key: str, lang: str = "zh") -> str:
    """Label of a key figure or township measure.

    >>> figure_label("phased_coverage_pct@2026"), figure_label("phased_spent_yuan@2025", "en")
    ('2026年儿童覆盖率（%）', 'Spent in 2025 (yuan)')
    """
    base, _, year = key.partition("@")
    if year and base in FIGURE_YEAR_LABELS:
        pair = FIGURE_YEAR_LABELS[base]
        return (pair[0] if lang == "zh" else pair[1]).format(year=year)
    pair = FIGURE_LABELS.get(key) or TOWNSHIP_MEASURES.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]

#: Chinese headers for exported tables (English keeps the canonical column names).
HEADERS_ZH: dict[str, str] = {
    "walk_min": "步行时间（分钟）", "route_m": "路线长度（米）", "metric": "距离度量",
    "home_id": "儿童之家编号", "kind": "类型", "status": "状态", "lon": "经度", "lat": "纬度",
    "children_served": "服务儿童数", "capacity": "容量", "name": "名称", "cost_yuan": "费用（元）",
    "villages_served": "服务村数", "village_code": "村代码", "resident_children": "常住儿童数",
    "distance_m": "距离（米）", "own_home": "自有儿童之家", "via": "经由过河点",
    "person_code": "人员编码", "role": "身份", "gender": "性别", "preference_rank": "优先序",
    "hours_per_month": "月工作量（小时）", "trained_by": "培训情况", "level": "层级", "code": "代码",
    "township_code": "乡镇代码", "position": "岗位", "count": "人数", "looking_for": "招募对象",
    "reason": "原因", "due_month": "应训月份", "overdue": "已逾期", "organiser": "组织单位",
    "unit_code": "单位代码", "unit_name": "单位名称", "targets": "服务对象数", "designations": "认定",
    "need": "加权需求", "multiplier": "倾斜乘数", "base": "基础份额", "tilt": "倾斜与上下限调整",
    "earmark": "专项", "amount": "金额（元）", "binding": "触及上下限", "tilt_scale": "倾斜力度",
    "left_behind": "留守儿童数", "institutions": "机构数", "earmarks": "专项",
    "open_year": "开放年度", "year": "年度", "budget_yuan": "年度预算（元）",
    "available_yuan": "可用预算（元）", "spent_yuan": "当年支出（元）", "unspent_yuan": "未用预算（元）",
    "homes_opened": "当年新开儿童之家", "homes_open": "运行中的儿童之家", "villages_covered": "覆盖村数",
    "children": "儿童数", "children_covered": "覆盖儿童数", "coverage_pct": "儿童覆盖率（%）",
    "weighted_coverage": "加权覆盖", "weighted_total": "加权总数", "directors": "需配儿童主任",
    "supervisors": "需配儿童督导员", "month": "月份", "sessions": "期数", "trainees": "培训人数",
    "left_behind_served": "其中留守儿童", "difficulty_served": "其中困境儿童",
    "max_distance_m": "最远距离（米）",
    "within_min": "步行分钟以内", "resident_share": "常住儿童占比",
    "left_behind_share": "农村留守儿童占比", "difficulty_share": "困境儿童占比",
    "load": "负荷（服务儿童，含本村）", "capacity_use": "负荷/容量", "own_children": "本村儿童数",
    "own_beyond_capacity": "本村儿童超出容量", "size": "新建规格", "capacity_source": "容量来源",
}


def localise_headers(frame, lang: str = "zh"):
    """A copy of ``frame`` with the headers of ``lang`` where known (:func:`header_label`)."""
    return frame.rename(columns={c: header_label(c, lang) for c in frame.columns})


# --- exported tables: headers, enumeration cells, sheet names (geo.exports.export_table) -----

#: More enumeration groups of the exported tables (staffing, funding, travel).
ENUM_GROUPS.update({
    "metric": {"straight": ("直线距离", "straight line"), "road_m": ("道路距离", "road distance"),
               "walk_min": ("步行时间", "walking time")},
    "position": {"director": ("儿童主任", "children's director"),
                 "supervisor": ("儿童督导员", "children's supervisor"),
                 "candidate": ("候选人", "candidate")},
    "training_kind": {"initial": ("初任培训", "initial training"),
                      "annual": ("年度培训", "annual training")},
    "organiser": {"county": ("区县民政部门", "county civil affairs"),
                  "prefecture": ("地市民政部门", "prefecture civil affairs"),
                  "township": ("乡镇（街道）", "township")},
    "level": {"village": ("村（社区）", "village"), "township": ("乡镇（街道）", "township")},
    "binding": {"floor": ("触及下限", "at the floor"), "cap": ("触及上限", "at the cap")},
})
for _g in ("metric", "position", "training_kind", "organiser", "level", "binding"):
    for _code, _pair in ENUM_GROUPS[_g].items():
        T.setdefault(f"{_g}.{_code}", _pair)

#: More Chinese headers (hazard and travel tables written by the CLI); never replacing one above.
_MORE_HEADERS_ZH = {
    "supervisor_code": "督导员编码", "spot_id": "危险点编号", "river": "水体名称",
    "children_exposed": "周边常住儿童数", "score": "风险分值", "rank": "排名", "chief": "河长",
    "four_ones_missing": "“四个一”缺少项", "reach_id": "危险河段编号", "start_m": "起点桩号（米）",
    "end_m": "终点桩号（米）", "length_m": "长度（米）", "n_segments": "所含河段数",
    "total_score": "河段累计风险分值", "four_ones_state": "“四个一”状态", "segment_id": "河段编号",
    "water_id": "水体编号", "part": "分段", "is_synthetic": "示意数据", "nearest_village_m": "最近村距离（米）",
    "township_chief": "乡镇级河长", "village_chief": "村级河长", "villages_within": "周边村数",
    "children_within": "周边常住儿童数", "left_behind_within": "其中留守儿童",
    "difficulty_within": "其中困境儿童", "key_attention_within": "其中重点关注儿童",
    "facilities_within": "周边学校/幼儿园/儿童之家", "exposure_children": "儿童暴露分",
    "exposure_facilities": "机构暴露分", "exposure_raster": "人口栅格暴露分", "water_level_m": "水面高程（米）",
    "village_height_m": "村高于水面（米）", "bank_slope_deg": "岸坡坡度（度）", "slope_factor": "坡度系数",
    "kind_weight": "水体类型权重", "township_name": "乡镇（街道）", "village_name": "村（社区）",
    "unit": "单位", "population": "人口", "difficulty": "困境儿童数", "key_attention": "重点关注儿童数",
    "directors_needed": "需配儿童主任", "directors_assigned": "已配儿童主任", "shortfall": "缺额",
    "candidate_for": "可担任", "poverty_village_share": "脱贫村儿童占比", "children": "儿童数",
    "year": "年份", "last_inspection": "最近检查日期", "checked_by": "检查人", "checked_on": "检查日期",
    "item": "项目", "note": "备注", "target_children": "服务对象儿童数",
}
for _code, _word in _MORE_HEADERS_ZH.items():
    HEADERS_ZH.setdefault(_code, _word)

#: English headers of exported tables (the canonical column names stay with ``--codes``).
HEADERS_EN: dict[str, str] = {
    "walk_min": "Walk (min)", "route_m": "Route (m)", "metric": "Distance metric",
    "home_id": "Home id", "kind": "Kind", "status": "Status", "lon": "Longitude", "lat": "Latitude",
    "children_served": "Children served", "capacity": "Capacity", "name": "Name",
    "cost_yuan": "Cost (yuan)", "villages_served": "Villages served", "village_code": "Village code",
    "resident_children": "Resident children", "distance_m": "Distance (m)", "own_home": "Own home",
    "via": "Via crossing", "person_code": "Person code", "role": "Role", "gender": "Gender",
    "preference_rank": "Preference rank", "hours_per_month": "Hours per month",
    "trained_by": "Training", "level": "Level", "code": "Code", "township_code": "Township code",
    "position": "Position", "count": "Count", "looking_for": "Looking for", "reason": "Reason",
    "due_month": "Due month", "overdue": "Overdue", "organiser": "Organised by",
    "unit_code": "Unit code", "unit_name": "Unit", "targets": "Service targets",
    "designations": "Designations", "need": "Weighted need", "multiplier": "Tilt multiplier",
    "base": "Base share", "tilt": "Tilt and bounds", "earmark": "Earmarked", "amount": "Amount (yuan)",
    "binding": "Bound reached", "tilt_scale": "Tilt strength", "left_behind": "Left-behind children",
    "institutions": "Institutions", "earmarks": "Earmarks",
    "supervisor_code": "Supervisor code", "spot_id": "Spot id", "river": "Water body",
    "children_exposed": "Resident children nearby", "score": "Risk score", "rank": "Rank",
    "chief": "River chief", "four_ones_missing": "'Four ones' missing", "reach_id": "Reach id",
    "start_m": "From (m)", "end_m": "To (m)", "length_m": "Length (m)", "n_segments": "Segments",
    "total_score": "Total risk score", "four_ones_state": "'Four ones' status",
    "segment_id": "Segment id", "water_id": "Water id", "part": "Part", "is_synthetic": "Illustrative data",
    "nearest_village_m": "Nearest village (m)", "township_chief": "Township river chief",
    "village_chief": "Village river chief", "villages_within": "Villages nearby",
    "children_within": "Resident children nearby", "left_behind_within": "of whom left-behind",
    "difficulty_within": "of whom in difficulty", "key_attention_within": "of whom key attention",
    "facilities_within": "Schools/kindergartens/homes nearby", "exposure_children": "Child exposure",
    "exposure_facilities": "Institution exposure", "exposure_raster": "Population-raster exposure",
    "water_level_m": "Water level (m)", "village_height_m": "Village above water (m)",
    "bank_slope_deg": "Bank slope (°)", "slope_factor": "Slope factor", "kind_weight": "Kind weight",
    "township_name": "Township/street", "village_name": "Village/community", "unit": "Unit",
    "population": "Population", "difficulty": "Children in difficulty",
    "key_attention": "Key-attention children", "directors_needed": "Directors needed",
    "directors_assigned": "Directors assigned", "shortfall": "Shortfall",
    "candidate_for": "Candidate for", "poverty_village_share": "Share in poverty-lifted villages",
    "children": "Children", "year": "Year", "last_inspection": "Last inspection",
    "checked_by": "Checked by", "checked_on": "Checked on", "item": "Item", "note": "Note",
    "target_children": "Target children",
    # the phased plan (issue 21)
    "open_year": "Opening year", "budget_yuan": "Budget of the year (yuan)",
    "available_yuan": "Available (yuan)", "spent_yuan": "Spent in the year (yuan)",
    "unspent_yuan": "Unspent (yuan)", "homes_opened": "Homes opened in the year",
    "homes_open": "Homes open", "villages_covered": "Villages covered",
    "children_covered": "Children covered", "coverage_pct": "Children covered (%)",
    "weighted_coverage": "Weighted coverage", "weighted_total": "Weighted total",
    "directors": "Directors required", "supervisors": "Supervisors required", "month": "Month",
    "sessions": "Sessions", "trainees": "Trainees",
    "left_behind_served": "of which left-behind", "difficulty_served": "of which in difficulty",
    "max_distance_m": "Farthest (m)",
    "within_min": "Within minutes' walk", "resident_share": "Share of resident children",
    "left_behind_share": "Share of left-behind children",
    "difficulty_share": "Share of children in difficulty",
    # capacity (issue 20)
    "load": "Load (children served, own village included)", "capacity_use": "Load / capacity",
    "own_children": "Own village's children", "own_beyond_capacity": "Own village beyond capacity",
    "size": "New-build size", "capacity_source": "Capacity from",
}

#: Column -> enumeration group of its cells (a table can override, e.g. ``kind`` of water).
COLUMN_ENUMS: dict[str, str] = {
    "kind": "kind", "status": "status", "role": "role", "gender": "gender", "own_home": "bool",
    "overdue": "bool", "is_synthetic": "bool", "metric": "metric", "position": "position",
    "organiser": "organiser", "level": "level", "binding": "binding",
    "four_ones_state": "four_ones_state", "four_ones_missing": "four_ones",
    "designations": "designation", "candidate_for": "candidate_for", "item": "four_ones",
    "capacity_source": "capacity_source", "size": "new_build_size",
    "own_beyond_capacity": "bool",
}
ENUM_GROUPS.update({
    "capacity_source": {k: T[f"capacity_source.{k}"] for k in ("data", "kind", "size", "default", "")},
    "new_build_size": {k: T[f"new_build_size.{k}"] for k in ("small", "large")},
})

#: Sheet names of exported workbooks.
SHEET_NAMES: dict[str, tuple[str, str]] = {
    "funding": ("经费分配", "Funding"), "tilt_path": ("倾斜力度变化", "Tilt path"),
    "homes": ("儿童之家", "Homes"), "assignments": ("服务关系", "Assignments"),
    "staffing": ("儿童主任", "Directors"), "supervisors": ("儿童督导员", "Supervisors"),
    "recruit": ("待招募", "To recruit"), "training": ("培训安排", "Training"),
    "figures": ("关键指标", "Key figures"), "townships": ("各乡镇", "Townships"),
    "units": ("分配单位", "Units"), "access": ("可达性", "Accessibility"),
    "access_shares": ("可达性占比", "Accessibility shares"), "catchments": ("服务范围", "Catchments"),
    "institutions": ("机构间步行时间", "Institutions"), "danger_spots": ("危险点", "Danger spots"),
    "segments": ("河段风险", "Segment risk"), "counties": ("各区县", "Counties"),
    "summary": ("汇总", "Summary"),
    "phased_years": ("分年度汇总", "By year"), "phased_homes": ("分年度新开", "Openings by year"),
    "phased_training": ("分年度培训", "Training by year"),
}
for _code, _pair in SHEET_NAMES.items():
    T.setdefault(f"sheet.{_code}", _pair)


# the siting page's accessibility tables (geo.travel.catchments, institution_times)
HEADERS_ZH.update({
    "villages_assigned": "服务村数", "children_assigned": "服务儿童数",
    "villages_within_cap": "服务范围内村数", "children_within_cap": "服务范围内儿童数",
    "cap_min": "服务范围（分钟）", "from_name": "机构", "from_kind": "机构类型",
    "to_name": "前往", "to_kind": "前往类型", "straight_m": "直线距离（米）",
    "nearest": "最近",
})
HEADERS_EN.update({
    "villages_assigned": "Villages served", "children_assigned": "Children served",
    "villages_within_cap": "Villages within the cap", "children_within_cap": "Children within the cap",
    "cap_min": "Cap (min)", "from_name": "Institution", "from_kind": "Institution kind",
    "to_name": "To", "to_kind": "Kind", "straight_m": "Straight line (m)", "nearest": "Nearest",
})


def header_label(column: str, lang: str = "zh") -> str:
    """The header of an exported column; the column name itself when unknown.

    >>> header_label("hours_per_month"), header_label("hours_per_month", "en")
    ('月工作量（小时）', 'Hours per month')
    """
    table = HEADERS_ZH if lang == "zh" else HEADERS_EN
    return table.get(column, column)


def sheet_label(name: str, lang: str = "zh") -> str:
    """The name of an exported sheet (``funding`` -> 经费分配); unknown names unchanged."""
    pair = SHEET_NAMES.get(name)
    return name if pair is None else pair[0 if lang == "zh" else 1]


def _trained_by(value: str, lang: str) -> str:
    """``optimization.staffing_rules._training_status`` labels in words (dates as geo.fmt)."""
    import re

    from geo.fmt import day

    def month(y: str, m: str) -> str:
        return f"{int(y)}年{int(m)}月" if lang == "zh" else day(f"{y}-{m}-01", "en")[2:].strip()

    zh = lang == "zh"
    if m := re.fullmatch(r"done (\d{4}-\d{2}-\d{2})", value):
        return f"已培训（{day(m[1])}）" if zh else f"trained {day(m[1], 'en')}"
    if m := re.fullmatch(r"planned (\d{4})-(\d{2})", value):
        return f"计划{month(m[1], m[2])}培训" if zh else f"training planned {month(m[1], m[2])}"
    if m := re.fullmatch(r"flagged: next session (\d{4})-(\d{2})", value):
        return (f"待培训：下一期{month(m[1], m[2])}" if zh
                else f"awaiting training: next session {month(m[1], m[2])}")
    words = {"flagged: no session": ("待培训：暂无培训场次", "awaiting training: no session"),
             "not scheduled": ("未安排培训", "not scheduled")}
    return words[value][0 if zh else 1] if value in words else value


def cell_label(column: str, value, lang: str = "zh", group: str | None = None):
    """The word for one cell of an exported column (numbers and unknown text unchanged).

    Lists (``a;b``) are translated item by item and joined with 、 (zh) or ``; ``;
    bilingual cells ``中文 / English`` keep one half; ``trained_by`` labels are reworded.

    >>> cell_label("four_ones_missing", "warning_sign;rescue_rope")
    '警示牌、救生绳'
    >>> cell_label("trained_by", "done 2024-04-06"), cell_label("own_home", True, "en")
    ('已培训（2024年4月6日）', 'yes')
    >>> cell_label("trained_by", "planned 2026-12", "en")
    'training planned Dec 2026'
    >>> cell_label("reason", "无合格候选人 / no eligible candidate", "en")
    'no eligible candidate'
    """
    group = group or COLUMN_ENUMS.get(column)
    if column == "trained_by" and isinstance(value, str):
        return _trained_by(value, lang)
    if isinstance(value, str) and " / " in value and group is None:
        zh, _, en = value.partition(" / ")
        return zh if lang == "zh" else en
    if group is None:
        return value
    if isinstance(value, bool) or (group == "bool" and str(value).lower() in ("true", "false")):
        return enum_label("bool", str(value).lower(), lang)
    if isinstance(value, str) and ";" in value:
        words = [enum_label(group, v.strip(), lang) for v in value.split(";") if v.strip()]
        return ("、" if lang == "zh" else "; ").join(words)
    if value is None or (isinstance(value, float) and value != value):
        return value
    return enum_label(group, value, lang)


def localise_table(frame, lang: str = "zh", enums: dict[str, str] | None = None):
    """A copy of ``frame`` in ``lang``: headers (:func:`header_label`) and enumeration cells.

    ``enums`` adds or overrides :data:`COLUMN_ENUMS` for this table (``{"kind": "water"}``).
    Numbers, codes and names are unchanged.
    """
    groups = {**COLUMN_ENUMS, **(enums or {})}
    out = frame.copy()
    for c in out.columns:
        if c in groups or c in ("trained_by", "looking_for", "reason"):
            g = groups.get(c)
            out[c] = [cell_label(c, v, lang, g) for v in out[c].tolist()]
    heads = [header_label(str(c), lang) for c in out.columns]
    twice = {h for h in heads if heads.count(h) > 1}  # two codes, one word: keep them apart
    out.columns = [f"{h}（{c}）" if h in twice else h for h, c in zip(heads, out.columns, strict=True)]
    return out


# --- policy parameters as a planner reads them (the 数据 page) --------------------------------

#: Units of optimization/policy.toml in words.
UNIT_WORDS: dict[str, tuple[str, str]] = {
    "activities": ("次", "activities"), "added share multiplier": ("增加的份额倍数", "added share multiplier"),
    "added weight per child": ("每名儿童增加的权重", "added weight per child"),
    "children": ("名儿童", "children"),
    "children (all children served by the home, its own village included)": (
        "名儿童（该儿童之家服务的全部儿童，含本村）",
        "children (all children the home serves, its own village's included)"),
    "children (0 = no limit)": ("名儿童（0 表示不限）", "children (0 = no limit)"),
    "children-equivalents per facility": ("每处机构折合儿童数", "child equivalents per institution"),
    "children-equivalents per raster unit": ("每个栅格单位折合儿童数", "child equivalents per grid unit"),
    "contacts per target child per month": ("每名服务对象每月联系次数", "contacts per target child per month"),
    "date (YYYY-MM-DD)": ("日期", "date"), "dates (YYYY-MM-DD)": ("日期", "dates"),
    "degrees": ("度", "degrees"), "facility kinds": ("设施类型", "facility kinds"), "factor": ("系数", "factor"),
    "flag": ("是/否", "yes/no"), "home visits per trip": ("每次出行入户次数", "home visits per trip"),
    "homes (-1 = no budget)": ("处（-1 表示不限）", "homes (-1 = no limit)"), "items": ("项", "items"),
    "km/h": ("公里/小时", "km/h"), "m": ("米", "m"), "min": ("分钟", "min"), "minutes": ("分钟", "minutes"),
    "months": ("个月", "months"), "multiplier": ("倍数", "multiplier"),
    "multiplier of every tilt (0 = no tilt)": ("各项倾斜的总倍数（0 表示不倾斜）",
                                               "multiplier of every tilt (0 = no tilt)"),
    "people": ("人", "people"), "relative gap": ("与最优的相对差距", "relative gap to the optimum"),
    "resident children": ("名常住儿童", "resident children"),
    "risk score (children-equivalents)": ("风险分值（折合儿童数）", "risk score (child equivalents)"),
    "road nodes": ("个道路节点", "road nodes"), "roles": ("身份", "roles"), "s": ("秒", "s"),
    "score points": ("分", "points"), "share": ("比例", "share"),
    "share of the budget": ("占预算比例", "share of the budget"),
    "spots": ("处", "spots"), "straight | road_m | walk_min": ("可选：直线距离、道路距离、步行时间",
                                                             "one of: straight line, road distance, walking time"),
    "target children": ("名服务对象儿童", "target children"),
    "target-child equivalents per institution": ("每处机构折合服务对象数", "target-child equivalents per institution"),
    "township | village": ("可选：乡镇、村", "one of: township, village"), "villages": ("个村", "villages"),
    "water kinds": ("水体类型", "water kinds"), "weight": ("权重", "weight"),
    "weight per child": ("每名儿童权重", "weight per child"),
    "yuan per director per year": ("元/人·年", "yuan per director per year"),
    "yuan per home": ("元/处", "yuan per home"),
    "yuan per home; children": ("元/处；名儿童", "yuan per home; children"),
    "yuan per unit": ("元/单位", "yuan per unit"),
}

#: Keys of the weight tables of the policy that are not vocabulary codes elsewhere.
_POLICY_KEYS: dict[str, tuple[str, str]] = {
    "child": ("每名常住儿童", "each resident child"), "resident": ("常住儿童", "resident children"),
    "difficulty": ("困境儿童", "children in difficulty"), "key_attention": ("重点关注儿童", "key-attention children"),
    "new_build": ("新建", "new build"),
}
# the staffing preference keys are worded once, in optimization.staffing_rules.PREFERENCE_LABELS
# (read lazily by value_word: importing it here would load pandas with the catalogue)
ENUM_GROUPS["policy_key"] = _POLICY_KEYS
for _code, _pair in _POLICY_KEYS.items():
    T.setdefault(f"policy_key.{_code}", _pair)

#: The fields of a new-build size (siting.new_build_sizes: small/large -> cost and capacity).
ENUM_GROUPS["size_field"] = {"cost_yuan": ("费用（元）", "cost (yuan)"),
                             "capacity": ("容量（儿童）", "capacity (children)")}
_VALUE_GROUPS = ("kind", "water", "target", "designation", "role", "four_ones", "policy_key",
                 "metric", "level", "new_build_size", "size_field")
#: Parameters whose codes belong to a group that a code of the same spelling has elsewhere.
POLICY_VALUE_GROUPS: dict[str, str] = {"travel.road_speed_kmh": "road", "hazards.chief_level": "level"}


def value_word(code: str, lang: str = "zh", group: str | None = None) -> str:
    """A vocabulary code in words, from ``group`` or whatever group has it (``canal`` -> 渠道)."""
    for g in ((group,) if group else ()) + _VALUE_GROUPS:
        if code in ENUM_GROUPS[g]:
            return enum_label(g, code, lang)
    from optimization.staffing_rules import PREFERENCE_LABELS

    if code in PREFERENCE_LABELS:
        zh, en = PREFERENCE_LABELS[code]
        return zh if lang == "zh" else en.removeprefix("a ")
    return code


def unit_label(unit: str, lang: str = "zh") -> str:
    """A policy unit in words (``m`` -> 米); unknown units unchanged."""
    pair = UNIT_WORDS.get(unit)
    return unit if pair is None else pair[0 if lang == "zh" else 1]


def policy_value(value, lang: str = "zh", name: str = "") -> str:
    """A policy value as a planner reads it: 是/否, lists and tables in words, 千分位.

    >>> policy_value(True), policy_value(["river", "canal"]), policy_value(3000.0)
    ('是', '河流、渠道', '3,000')
    >>> policy_value({"pond": 1.5, "river": 1.0}), policy_value([], "en"), policy_value(0.0001)
    ('山坪塘/池塘 1.5；河流 1', '(none)', '0.0001')
    >>> policy_value("2027-01-01"), policy_value("walk_min", "en")
    ('2027年1月1日', 'walking time')
    >>> policy_value("township", name="hazards.chief_level"), policy_value({"township": 4.0},
    ...                                                                    name="travel.road_speed_kmh")
    ('乡镇（街道）', '乡道 4')
    """
    import re

    from geo.fmt import day, num

    zh = lang == "zh"
    group = POLICY_VALUE_GROUPS.get(name)
    if isinstance(value, bool):
        return enum_label("bool", value, lang)
    if isinstance(value, (int, float)):
        x = float(value)
        if x.is_integer():
            return num(x)
        places = min(6, len(repr(round(x, 6)).split(".")[-1]))
        return num(x, places)
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return day(value, lang)
        return value_word(value, lang, group)
    if isinstance(value, dict):
        if not value:
            return "（无）" if zh else "(none)"
        return ("；" if zh else "; ").join(f"{value_word(str(k), lang, group)} {policy_value(v, lang)}"
                                          for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if not value:
            return "（无）" if zh else "(none)"
        return ("、" if zh else ", ").join(policy_value(v, lang, name) for v in value)
    return str(value)


def policy_source(source: str, documents: dict | None = None, lang: str = "zh",
                  terms: dict[str, str] | None = None) -> str:
    """A policy source with document codes as 文号 (``004 二(一)`` -> ``吉民发〔2018〕41号 二(一)``).

    ``documents``: :func:`optimization.policy.load_documents`. Mentions of code files and of the
    project's notes (``geo/hazards.py``, ``DOMAIN §…``) are left out: the page cites documents.
    A parameter or code named in the text (``travel_cap_m``, ``walk_min``) is given in words:
    from ``terms`` (parameter key -> its meaning), else the vocabulary.

    >>> from types import SimpleNamespace as D
    >>> policy_source("004 二(一) (DOMAIN §Facilities, 004 §2(1))",
    ...               {"004": D(number="吉民发〔2018〕41号", issuer="吉林省民政厅", issuer_en="")})
    '吉民发〔2018〕41号 二(一) (吉民发〔2018〕41号 第2(1)项)'
    """
    import re

    text = re.sub(r"\s*\bDOMAIN §[\w ]+?(?=[,;)）]|$)[,;]?\s*", "", source)
    text = re.sub(r"\s*(?:see |详见\s*|in )?\b[\w./-]+/[\w.-]+\.(?:py|md|toml)\b", "", text)
    text = re.sub(r"[,;]\s*(?=[)）])", "", text)
    text = re.sub(r"\(\s*\)|（\s*）", "", text)
    text = re.sub(r"§(\d+(?:\(\d+\))?(?:[–-]\d+)?)", (lambda m: f"第{m[1]}项") if lang == "zh" else r"item \1", text)
    if lang != "zh":
        text = articles_en(text)
    if documents:
        def ref(m):
            d = documents.get(m[1])
            if d is None:
                return m[0]
            return d.number or (d.issuer if lang == "zh" else (d.issuer_en or d.issuer))

        text = re.sub(r"(?<![\d,.])\b(00\d)\b(?![\d,])", ref, text)
    terms = terms or {}
    text = re.sub(r"\b(?:siting|staffing|hazards|funding|travel|data)\.(?=[a-z]+_)", "", text)
    text = re.sub(r"\b[a-z]+(?:_[a-z0-9]+)+\b",
                  lambda m: f"“{terms[m[0]]}”" if m[0] in terms else value_word(m[0], lang), text)
    if lang == "zh":
        for en, zh in _SOURCE_WORDS:
            text = text.replace(en, zh)
    return text.strip(" ,;")


_CN_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", start=1)}


def _cn_number(word: str) -> int:
    """一 … 九十九 as a number (the parts and items of a Chinese document)."""
    if "十" not in word:
        return _CN_DIGITS[word]
    tens, _, units = word.partition("十")
    return _CN_DIGITS.get(tens, 1) * 10 + (_CN_DIGITS[units] if units else 0)


def articles_en(text: str) -> str:
    """A document's parts and items in English: ``二(一)`` -> ``section 2(1)``, ``二(二)1`` -> ``section 2(2)1``.

    >>> articles_en("吉民发〔2018〕41号 二(一); 001 三(二)、二(二)2")
    '吉民发〔2018〕41号 section 2(1); 001 section 3(2)、section 2(2)2'
    """
    import re

    def one(m):
        item = f"({_cn_number(m[2])})" if m[2] else ""
        return f"section {_cn_number(m[1])}{item}{m[3]}"

    return re.sub(r"(?<![\u4e00-\u9fff])([一二三四五六七八九十]+)(?:\(([一二三四五六七八九十]+)\))?(\d*)"
                  r"(?![\u4e00-\u9fff])", one, text)


#: Recurring words of the policy file's sources in Chinese (the rest of a source is quoted as is).
_SOURCE_WORDS = (("planning defaults", "规划默认值"), ("planning default", "规划默认值"),
                 ("planning option", "规划选项"), ("planning choice", "规划选项"),
                 ("solver setting", "求解设置"), ("the distance is a 规划默认值", "距离为规划默认值"),
                 ("the weights are a 规划默认值", "权重为规划默认值"))


# --- the 数据 page (app_pages/data.py) ---------------------------------------------------------
T.update({
    "data_col_layer": ("图层", "Layer"),
    "data_col_records": ("记录数", "Records"),
    "data_col_file": ("文件", "File"),
    "data_col_synthetic": ("示意数据", "Illustrative data"),
    "policy_title": ("政策参数与依据", "Policy parameters and their sources"),
    "policy_caption": ("每条规划规则都是一个参数，注明其政策出处（文件标题与文号）；"
                       "各页面的调整会覆盖默认值，随方案保存。",
                       "Every planning rule is a parameter citing its policy source (document title and "
                       "number); changes made on the pages override the defaults and are saved with a scenario."),
    "policy_col_meaning": ("含义", "Meaning"),
    "policy_col_value": ("取值", "Value"),
    "policy_col_unit": ("单位", "Unit"),
    "policy_col_source": ("依据", "Source"),
    "policy_col_changed": ("已调整", "Changed"),
    "policy_col_name": ("参数代码（调整文件中使用）", "Parameter code (for an overrides file)"),
    "policy_documents": ("政策文件", "Policy documents"),
    "doc_col_title": ("文件", "Document"),
    "doc_col_number": ("文号", "Number"),
    "doc_col_issuer": ("发文单位", "Issued by"),
    "upload_title": ("上传数据", "Upload data"),
    "upload_layer": ("图层", "Layer"),
    "upload_base": ("未上传的图层取自", "Layers not uploaded come from"),
    "none_paren": ("（无）", "(none)"),
    "upload_check": ("检查并使用", "Check and use"),
    # Streamlit's file uploader draws these two in English only (childplan.ui.uploader_words)
    "uploader_button": ("选择文件", "Choose files"),
    "uploader_limit": ("每个文件不超过 {mb} MB", "Up to {mb} MB per file"),
    "upload_checking": ("正在检查…", "Checking…"),
})

# --- the 情景对比 page (app_pages/scenarios.py): the list of saved scenarios ------------------------
T.update({
    "scn_col_name": ("方案", "Scenario"),
    "scn_col_adcode": ("区县代码", "County code"),
    "scn_col_county": ("区县", "County"),
    "scn_col_revision": ("版本", "Revision"),
    "scn_col_created": ("创建时间", "Created"),
    "scn_col_updated": ("更新时间", "Updated"),
    "scn_col_note": ("说明", "Note"),
    "scn_col_tables": ("结果表数", "Result tables"),
    "scn_col_figure": ("指标", "Figure"),
})

# --- shared page words ---------------------------------------------------------------------------
T.update({
    "download_xlsx": ("下载 XLSX", "Download XLSX"),
    "tech_details": ("技术细节", "Technical details"),
    "hz_spots_csv": ("危险河段清单 CSV", "Danger reaches CSV"),
    "cli_site_summary": ("距离度量：{metric}；儿童之家：已有 {existing} 处、改建 {reuse} 处、新建 {new} 处；"
                         "建设改造费用 {cost}；覆盖村比例 {coverage}（未覆盖 {uncovered} 个村）；"
                         "按儿童加权的平均距离 {mean} 米",
                         "metric {metric}; homes: existing {existing}, reuse {reuse}, new {new}; "
                         "cost {cost}; villages covered {coverage} ({uncovered} uncovered); "
                         "child-weighted mean distance {mean} m"),
    "cli_written_to": ("；文件已写入 {out}", "; written to {out}"),
    "cli_phased_projected": ("各年度儿童数按名单推算", "counts projected from the person lists"),
    "cli_phased_layer_counts": ("未提供名单：各年度沿用村图层的儿童数",
                                "no person list: the layer's counts every year"),
    "cli_phased_year": ("{year}年：预算 {budget}，支出 {spent}；当年新开儿童之家 {opened} 处（运行中 {open} 处）；"
                        "覆盖儿童 {covered} / {children} 名（{coverage}）；儿童主任 {directors} 名",
                        "{year}: budget {budget}, spent {spent}; {opened} homes opened ({open} open); "
                        "children covered {covered} / {children} ({coverage}); directors {directors}"),
    "siting_status_line": ("求解状态：{status} · 与最优的差距 ≤ {gap}",
                           "Status: {status} · within {gap} of the optimum"),
    "siting_tech_line": ("求解器 {solver} · 目标值 {objective} · 下界 {bound} · "
                         "间隙 {gap} · {seconds} 秒 · 变量 {variables} · 约束 {constraints} · 分块 {blocks}",
                         "solver {solver} · status {status} · objective {objective} · bound {bound} · "
                         "gap {gap} · {seconds} s · {variables} variables · {constraints} constraints · "
                         "{blocks} components"),
    "solver": ("求解器", "Solver"),
    "solver_status_label": ("求解状态", "Status"),
})

# --- the 经费分配 page (app_pages/funding.py) ----------------------------------------------------
T.update({
    "fund_designations": ("本县认定：", "County designations: "),
    "fund_budget": ("预算（元）", "Budget (yuan)"),
    "fund_tilt_scale": ("倾斜力度（向老区、苏区和困难地区倾斜）",
                        "Tilt strength (toward old-base, soviet and poor areas)"),
    "fund_floor": ("每个乡镇最低金额（元）", "Floor per township (yuan)"),
    "fund_weights": ("权重与倾斜系数", "Weights and tilts"),
    "fund_tilt_township": ("困难街镇", "township in difficulty"),
    "fund_cap_share": ("单个乡镇最高占比", "Most share per township"),
    "fund_institution_weight": ("每个救助保护/福利机构折算的服务对象数", "Target-equivalents per institution"),
    "fund_use_siting": ("先安排儿童之家建设改造费用（专项，取自选址页最近一次求解）",
                        "Earmark the homes' set-up cost first (last siting solve)"),
    "fund_use_staffing": ("先安排儿童主任补助（专项，取自人员配置页最近一次求解）",
                          "Earmark director subsidies first (last staffing solve)"),
    "fund_total": ("合计（元）", "Total (yuan)"),
    "fund_earmarked": ("专项（元）", "Earmarked (yuan)"),
    "fund_high_low": ("最高/最低（元）", "Highest/lowest (yuan)"),
})

# --- the 人员配置 page (app_pages/staffing.py) ----------------------------------------------------
T.update({
    "staff_rules": ("规则与参数（政策依据见“数据”页的政策表）",
                    "Rules and parameters (sources: the policy table on the Data page)"),
    "staff_targets_per_director": ("每名儿童主任负责的服务对象数", "Targets per director"),
    "staff_many_children": ("常住儿童达到此数增配一人", "Resident children for one more director"),
    "staff_max_travel": ("儿童主任最远居住距离（米）", "Farthest home of a director (m)"),
    "staff_within_township": ("只在本乡镇内安排", "Only within the own township"),
    "staff_max_villages": ("一人最多服务村数", "Most villages per director"),
    "staff_start_date": ("上岗日期", "Start date"),
    "staff_solve": ("求解人员配置", "Solve staffing"),
    "staff_directors": ("儿童主任（需/配）", "Directors needed/assigned"),
    "staff_to_recruit": ("待招募儿童主任", "Directors to recruit"),
    "staff_supervisors": ("儿童督导员（需/配）", "Supervisors needed/assigned"),
    "staff_hours": ("人均月工作量（小时）", "Mean hours/month"),
    "staff_national": ("全国对照（2019年）：儿童主任 {directors} 名、儿童督导员 {supervisors} 名；"
                       "本县需配分别占 {d_share} 和 {s_share}。",
                       "National figures (2019): {directors} directors and {supervisors} supervisors; "
                       "this county needs {d_share} and {s_share} of them."),
    "staff_tab_directors": ("儿童主任", "Directors"),
    "staff_tab_recruit": ("待招募", "Recruit"),
    "staff_tab_training": ("培训计划", "Training"),
    "staff_tab_supervisors": ("儿童督导员", "Supervisors"),
    "staff_download_csv": ("下载儿童主任 CSV", "Download directors CSV"),
})

# --- the 批量规划 page (app_pages/batch.py) ---------------------------------------------------------
T.update({
    "batch_caption": ("一次规划多个区县：各县的儿童之家选址与人员配置并行求解，再把经费按各县合计统一分配，"
                      "并汇总成全省表格与图层。已完成的区县再次运行时跳过。",
                      "Plan many counties at once: each county's siting and staffing are solved in "
                      "parallel, then the budget is split across the county totals and a province "
                      "summary is written. Counties already done are skipped when you run again."),
    "batch_status.done": ("完成", "done"),
    "batch_status.skipped": ("已完成（跳过）", "done before (skipped)"),
    "batch_status.failed": ("失败", "failed"),
    "batch_col_adcode": ("区县代码", "County code"),
    "batch_col_name": ("区县", "County"),
    "batch_col_status": ("状态", "Status"),
    "batch_col_villages": ("村数", "Villages"),
    "batch_col_homes_new": ("新建儿童之家", "New homes"),
    "batch_col_homes_reuse": ("改建儿童之家", "Converted homes"),
    "batch_col_directors_to_recruit": ("需招募儿童主任", "Directors to recruit"),
    "batch_col_children_near_water": ("临水村儿童数", "Children near water"),
    "batch_col_funding_yuan": ("经费（元）", "Funding (yuan)"),
    "batch_col_seconds": ("用时（秒）", "Time (s)"),
    "batch_col_reason": ("原因", "Reason"),
    "batch_source": ("区县来源", "Counties from"),
    "batch_source_embedded": ("内置示例区县", "Embedded demo counties"),
    "batch_source_folder": ("文件夹（如全省示例数据）", "A folder (e.g. a generated province)"),
    "batch_folder": ("区县数据文件夹", "Folder of counties"),
    "batch_folder_help": ("全省示例数据的输出文件夹，或每县一个以区县代码命名的子文件夹",
                          "the folder of a generated province, or one sub-folder per county named by its code"),
    "batch_folder_empty": ("该文件夹中没有区县数据。可先生成全省示例数据：python data/make_demo.py --province 35",
                           "No county in this folder. Generate a province first: "
                           "python data/make_demo.py --province 35"),
    "batch_pick": ("要规划的区县", "Counties to plan"),
    "batch_gaps": ("以下区县没有数据，将列为失败：", "These counties have no data and will be reported as failed: "),
    "batch_settings": ("运行设置", "Run settings"),
    "batch_budget": ("经费总额（元，填 0 则不分配经费）", "Budget (yuan, 0 = no funding split)"),
    "batch_workers": ("本机同时计算的进程数", "Local worker processes"),
    "batch_scheduler": ("已有计算集群的调度器地址（留空则在本机计算）",
                        "Scheduler of an existing cluster (empty: compute on this machine)"),
    "batch_out": ("输出文件夹（再次运行时跳过已完成的区县）", "Output folder (a re-run skips counties already done)"),
    "batch_policy_note": ("政策参数取自各页面当前的设置。", "Policy parameters are those set on the other pages. "),
    "batch_n_counties": ("{n} 个区县 → {out}", "{n} counties → {out}"),
    "batch_start": ("开始批量规划", "Start the batch"),
    "batch_starting": ("正在启动并行计算…", "Starting the parallel computation…"),
    "batch_stage.funding": ("正在分配经费…", "Splitting the budget…"),
    "batch_stage.province": ("正在汇总全省图层（临水村）…", "Assembling the province layers (villages near water)…"),
    "batch_running": ("批量规划进行中…", "Batch running…"),
    "batch_failed_run": ("未能运行", "Could not run"),
    "batch_result": ("完成 {done}，跳过 {skipped}，失败 {failed} · {seconds} 秒 · {workers} 个进程",
                     "done {done}, skipped {skipped}, failed {failed} · {seconds} s · {workers} workers"),
    "batch_hint": ("选择区县后点击“开始批量规划”。", "Choose the counties and click 'Start the batch'."),
    "batch_m_counties": ("区县", "Counties"),
    "batch_m_done": ("完成", "Done"),
    "batch_m_skipped": ("跳过（已完成）", "Skipped (done before)"),
    "batch_m_failed": ("失败", "Failed"),
    "batch_dl_xlsx": ("下载全省汇总 XLSX", "Download the province summary (XLSX)"),
    "batch_dl_csv": ("下载全省汇总 CSV", "Download the summary (CSV)"),
    "batch_dl_layer": ("下载区县合计图层（GIS 文件）", "Download county totals (GIS file)"),
    "batch_files_in": ("各区县的方案文件在：", "Each county's plan files are in: "),
    "batch_files_per_county": ("（每个区县一个文件夹，以行政区划代码命名）",
                               " (one folder per county, named by its administrative code)"),
})

# --- the funding tilt plot (geo/exports.tilt_plot) --------------------------------------------------
T.update({
    "tilt_plot_x": ("倾斜力度总系数", "Overall tilt strength"),
    "tilt_plot_y": ("金额（万元）", "Amount (× 10,000 yuan)"),
    "tilt_plot_title": ("各单位金额随倾斜力度的变化", "Each unit's amount as the tilt grows"),
})

# --- the batch files (childplan/batch_county.py, batch_province.py) ------------------------------
ENUM_GROUPS["batch_status"] = {"done": T["batch_status.done"], "skipped": T["batch_status.skipped"],
                               "failed": T["batch_status.failed"]}

#: Headers of the province summary (zh, en); the technical columns go to its 技术细节 sheet.
_BATCH_HEADERS: dict[str, tuple[str, str]] = {
    "adcode": ("区县代码", "County code"), "villages": ("村数", "Villages"),
    "homes_existing": ("已有儿童之家", "Existing homes"), "homes_reuse": ("改建儿童之家", "Converted homes"),
    "homes_new": ("新建儿童之家", "New homes"), "siting_cost_yuan": ("建设改造费用（元）", "Building cost (yuan)"),
    "villages_covered_pct": ("村覆盖率（%）", "Villages covered (%)"),
    "uncovered_villages": ("未覆盖村数", "Villages not covered"),
    "mean_distance_m": ("儿童平均距离（米）", "Mean distance per child (m)"),
    "directors_required": ("需配儿童主任", "Directors required"),
    "directors_to_recruit": ("需招募儿童主任", "Directors to recruit"),
    "supervisors_assigned": ("已配儿童督导员", "Supervisors assigned"),
    "villages_near_water": ("临水村数", "Villages near water"),
    "children_near_water": ("临水村儿童数", "Children near water"),
    "left_behind_near_water": ("临水村留守儿童数", "Left-behind children near water"),
    "villages_near_water_across_border": ("临近外县水体的村数", "Villages near another county's water"),
    "funding_yuan": ("经费（元）", "Funding (yuan)"),
    "siting_status": ("选址求解状态", "Siting result"), "staffing_status": ("人员配置求解状态", "Staffing result"),
    "seconds": ("用时（秒）", "Time (s)"), "load_s": ("读取数据用时（秒）", "Loading (s)"),
    "siting_s": ("选址用时（秒）", "Siting (s)"), "siting_solve_s": ("选址求解用时（秒）", "Siting solve (s)"),
    "staffing_s": ("人员配置用时（秒）", "Staffing (s)"), "write_s": ("写文件用时（秒）", "Writing (s)"),
    "siting_gap": ("选址与最优的差距", "Siting gap to the optimum"),
    "peak_rss_mb": ("峰值内存（MB）", "Peak memory (MB)"), "rss_mb": ("内存（MB）", "Memory (MB)"),
    "pid": ("进程号", "Process number"), "worker": ("计算进程地址", "Worker address"),
    "inputs_hash": ("输入摘要", "Inputs digest"), "reason_code": ("原因代码", "Reason code"),
    "reason_zh": ("原因", "Reason (Chinese)"), "reason_en": ("原因（英文）", "Reason"),
}
for _code, (_zh, _en) in _BATCH_HEADERS.items():
    HEADERS_ZH.setdefault(_code, _zh)
    HEADERS_EN.setdefault(_code, _en)
COLUMN_ENUMS.setdefault("siting_status", "solver_status")
COLUMN_ENUMS.setdefault("staffing_status", "solver_status")
SHEET_NAMES.setdefault("failures", ("未完成区县", "Failed counties"))
SHEET_NAMES.setdefault("notes", ("说明", "Notes"))
SHEET_NAMES.setdefault("technical", ("技术细节", "Technical details"))
for _code in ("failures", "notes", "technical"):
    T.setdefault(f"sheet.{_code}", SHEET_NAMES[_code])
T.setdefault("tech_details", ("技术细节", "Technical details"))

# --- the briefing (geo/briefing.py) -------------------------------------------------------------
T.update({
    "brief_not_given": ("未填写", "not given"),
    "brief_base_policy_policy_file": ("基准方案（政策文件默认参数）", "base policy (policy file)"),
    "brief_key_assumptions": ("主要假设：", "Key assumptions: "),
    "brief_sep": ("；", "; "),
    "brief_every_parameter_as_in": ("全部参数取政策文件默认值", "every parameter as in the policy file"),
    "brief_children": ("儿童", "Children"),
    "brief_villages": ("村（社区）", "villages"),
    "brief_resident_children": ("常住儿童", "resident children"),
    "brief_left_behind": ("农村留守儿童", "left-behind"),
    "brief_in_difficulty": ("困境儿童", "in difficulty"),
    "brief_orphans_unsupported": ("其中孤儿/事实无人抚养", "orphans / unsupported"),
    "brief_key_attention": ("重点关注", "key attention"),
    "brief_existing_homes": ("已有儿童之家", "existing homes"),
    "brief_reuse_of_facilities": ("利用现有设施改建", "reuse of facilities"),
    "brief_new_builds": ("新建", "new builds"),
    "brief_villages_covered": ("村覆盖率", "villages covered"),
    "brief_set_up_cost": ("建设改造费用", "set-up cost"),
    "brief_not_solved": ("未求解", "not solved"),
    "brief_children_s_homes": ("儿童之家", "Children's homes"),
    "brief_directors_required": ("儿童主任 应配", "directors required"),
    "brief_directors_assigned": ("儿童主任 已配", "directors assigned"),
    "brief_directors_to_recruit": ("儿童主任 缺口", "directors to recruit"),
    "brief_supervisors_req_assigned": ("儿童督导员 应配/已配", "supervisors req./assigned"),
    "brief_supervisors_to_recruit": ("儿童督导员 缺口", "supervisors to recruit"),
    "brief_staff": ("人员配置", "Staff"),
    "brief_danger_reach_rank": ("危险河段（排名）", "danger reach (rank)"),
    "brief_10_000_yuan": ("万元", "× 10,000 yuan"),
    "brief_no_funding_plan": ("经费未分配", "no funding plan"),
    "brief_findings": ("主要发现", "Findings"),
    "brief_recommendations": ("工作建议", "Recommendations"),
    "brief_top_danger_reaches": ("防溺水重点危险河段（前 6 位）", "Top danger reaches"),
    "brief_not_computed": ("未计算", "not computed"),
    "brief_sources": ("依据：", "Sources: "),
})
T.update({
    "brief_title_pattern": ("{county}农村留守儿童和困境儿童关爱服务简报",
                    "{county}: care for left-behind children and children in difficulty"),
    "brief_line2": ("编制单位：{org}    日期：{on}    方案：{scenario}",
                    "Compiled by: {org}    Date: {on}    Scenario: {scenario}"),
    "brief_and_more": (" 等 {n} 项", " and {more} more"),
    "brief_funding_total": ("经费分配（合计 {total}）", "Funding (total {total})"),
    "brief_reach_col.rank": ("排名", "Rank"), "brief_reach_col.water": ("水体", "Water"),
    "brief_reach_col.reach": ("河段（起止桩号）", "Reach (chainage)"),
    "brief_reach_col.village": ("村", "Village"), "brief_reach_col.children": ("周边儿童", "Children"),
    "brief_reach_col.chief": ("河长", "Chief"), "brief_reach_col.four_ones": ("“四个一”", "Four ones"),
    "brief_find_own_home": ("{villages} 个村常住儿童达 {threshold} 人及以上、应单独设立儿童之家，"
                            "其中 {without} 个尚无儿童之家",
                            "{villages} villages have {threshold} or more resident children and "
                            "should each have their own children's home; {without} of them have "
                            "none yet"),
    "brief_rec_own_home": ("优先在尚无儿童之家的 {n} 个百人以上村单独设立儿童之家，按“五有”标准建设"
                           "（吉民发〔2018〕41号 二(一)、二(三)）",
                           "First set up a children's home in the {n} large villages without one, "
                           "to the 'five haves' standard (吉民发〔2018〕41号 sections 2(1), 2(3))"),
    "preview_map_caption": ("尚未求解：图中为本县现状（村点按{measure}分级，及现有设施）",
                            "Not solved yet: the county as it is (villages by {measure}, and the "
                            "facilities)"),
    "choose_options": ("请选择（可多选）", "Choose options"),
    "lock_village": ("村（社区）", "Village"),
    "lock_site": ("指定的承载场所", "Assigned host site"),
    "lock_help": ("锁定：指定某村由某一场所服务（每行一村）；从列表中选择，无需输入代码",
                  "Locks: a village served by a given site (one village a row); pick from the "
                  "lists, no codes to type"),
    # the other recommendations; sources by 文号 and article, or the plan's title and item
    "brief_rec_remote_small": ("对 {n} 个周边无可共建场所的小村，依托村委会新建或以流动服务覆盖，避免重复建设",
                               "Serve the {n} small villages with no site nearby by a new build at the "
                               "village committee or a mobile service, avoiding duplicate construction"),
    "brief_rec_directors": ("招募儿童主任 {n} 名，优先女性村（居）委会委员，初任培训合格后上岗"
                            "（闽民童〔2019〕128号 二(二)）",
                            "Recruit {n} child directors, female committee members first; trained "
                            "before they start (闽民童〔2019〕128号 section 2(2))"),
    "brief_rec_reaches": ("汛期前由所在乡镇河长完成 {n} 个危险河段“四个一”检查与补齐（三年行动方案第14项）",
                          "Before the flood season, have the township river chiefs check and complete "
                          "the 'four ones' at the {n} danger reaches (Three-year action plan, item 14)"),
    "brief_rec_visits": ("儿童主任每月至少联系服务对象 {contacts} 次、每 {months} 个月入户走访一次，"
                         "重点关注儿童加密走访（三年行动方案第8项）",
                         "Child directors contact every service target at least {contacts} time(s) a "
                         "month and visit at home every {months} months, key-attention cases more often "
                         "(Three-year action plan, item 8)"),
})

# --- the validation report (geo/report.py Report.to_frame): a problem's kind in words ------------
PROBLEM_KINDS: dict[str, tuple[str, str]] = {
    "bad_id_number": ("身份证号有误", "invalid ID number"),
    "bad_mapping": ("列对应有误", "bad column mapping"),
    "child_two_villages": ("儿童重复登记在两个村", "child listed in two villages"),
    "code_precision_lost": ("代码精度丢失", "code lost digits"),
    "code_prefix_mismatch": ("代码与上级不符", "code does not match its parent"),
    "coordinates_out_of_range": ("坐标超出范围", "coordinates out of range"),
    "dash_read_as_zero": ("“-”按 0 读取", "dash read as zero"),
    "difficulty_exceeds_resident": ("困境儿童多于常住儿童", "more children in difficulty than resident"),
    "duplicate_code": ("代码重复", "duplicate code"), "duplicate_column": ("列重复", "duplicate column"),
    "duplicates_merged": ("重复记录已合并", "duplicates merged"),
    "empty_geometry": ("缺少图形", "empty geometry"),
    "formula_without_value": ("公式无计算结果", "formula without a value"),
    "geometry_repaired": ("图形已修复", "geometry repaired"),
    "implausible_count": ("人数不合常理", "implausible count"),
    "invalid_geometry": ("图形无效", "invalid geometry"),
    "key_attention_exceeds_targets": ("重点关注儿童多于服务对象", "more key-attention children than targets"),
    "kind_geometry_mismatch": ("类型与图形不符", "kind does not match the geometry"),
    "left_behind_exceeds_resident": ("留守儿童多于常住儿童", "more left-behind than resident children"),
    "malformed_code": ("代码格式有误", "malformed code"),
    "merged_cells_filled": ("合并单元格已填充", "merged cells filled"),
    "missing_column": ("缺少列", "missing column"),
    "missing_coordinates": ("缺少坐标", "missing coordinates"),
    "missing_counts": ("缺少人数", "missing counts"), "missing_layer": ("缺少图层", "missing layer"),
    "missing_value": ("缺少取值", "missing value"),
    "multipoint_feature": ("多点要素", "multipoint feature"),
    "multipoint_reduced": ("多点已取一点", "multipoint reduced to one point"),
    "negative_count": ("人数为负", "negative count"), "no_band": ("栅格无波段", "raster without a band"),
    "no_birth_date": ("缺少出生日期", "no birth date"), "no_rows": ("没有数据行", "no rows"),
    "non_integer_count": ("人数不是整数", "count not a whole number"),
    "not_a_child": ("不是儿童", "not a child"),
    "not_a_number": ("不是数字", "not a number"), "note_row_dropped": ("备注行已略去", "note row dropped"),
    "outside_county": ("位于本县以外", "outside the county"),
    "outside_township": ("位于所属乡镇以外", "outside its township"),
    "person_header_missing": ("人员名单缺少表头", "person list without a header"),
    "personal_column_dropped": ("个人信息列已删除", "personal column dropped"),
    "personal_person_code": ("人员编码含个人信息", "person code holds personal data"),
    "ragged_row": ("行的列数不一致", "ragged row"),
    "split_column_incomplete": ("分列不完整", "split columns incomplete"),
    "split_columns_summed": ("分列已合计", "split columns summed"),
    "split_columns_unused": ("分列未使用", "split columns unused"),
    "status_conflict": ("状态矛盾", "conflicting status"),
    "targets_share_implausible": ("服务对象占比不合常理", "implausible share of targets"),
    "title_rows_skipped": ("标题行已跳过", "title rows skipped"),
    "total_row_dropped": ("合计行已略去", "total row dropped"),
    "two_header_rows": ("两行表头", "two header rows"),
    "unbalanced_quote": ("引号不成对", "unbalanced quote"),
    "unknown_crs": ("坐标系未知", "unknown coordinate system"),
    "unknown_township": ("乡镇不存在", "unknown township"),
    "unknown_village": ("村不存在", "unknown village"), "unknown_value": ("取值无法识别", "unknown value"),
    "unmapped_count_column": ("人数列未对应", "count column not mapped"),
    "unreadable_file": ("文件无法读取", "unreadable file"),
    "unreadable_table": ("表格无法读取", "unreadable table"),
    "village_ambiguous": ("村名对应多个村", "ambiguous village"),
    "village_unmatched": ("村无法对应", "village not matched"),
    "wrong_geometry_type": ("图形类型有误", "wrong geometry type"),
}
for _code, _pair in PROBLEM_KINDS.items():
    T.setdefault(f"problem.{_code}", _pair)
T.setdefault("problem_kind", ("问题类型", "Problem type"))
T.setdefault("problem_other", ("其他问题", "other problem"))


def problem_label(code: str, lang: str = "zh") -> str:
    """A validation problem's kind in words (``missing_column`` -> 缺少列); 其他问题 when unknown."""
    pair = PROBLEM_KINDS.get(code)
    return t("problem_other", lang) if pair is None else pair[0 if lang == "zh" else 1]

# --- app_pages/hazards.py: its former inline literals ---
T.update({
    "ha_pg_rules_and_parameters": ("规则与参数", "Rules and parameters"),
    "ha_pg_exposure_buffer_m": ("暴露缓冲距离（米）", "Exposure buffer (m)"),
    "ha_pg_distance_decay_m": ("距离衰减尺度（米）", "Distance decay (m)"),
    "ha_pg_segment_length_m": ("河段长度（米）", "Segment length (m)"),
    "ha_pg_danger_spots": ("危险点数量", "Danger spots"),
    "ha_pg_patrol_lists_go_to": ("巡查清单发给", "Patrol lists go to"),
    "ha_pg_flood_season_inspection_distance": ("汛期排查距离（米）", "Flood-season inspection distance (m)"),
    "ha_pg_scoring_waterway_segments": ("正在计算河段风险…", "Scoring waterway segments…"),
    "ha_pg_patrol_lists_xlsx": ("河长巡查清单 XLSX", "Patrol lists XLSX"),
    "ha_pg_flood_season_list_csv": ("汛期排查清单 CSV", "Flood-season list CSV"),
    "ha_pg_chief_s_pdf": ("河长 PDF", "Chief's PDF"),
    "ha_pg_make_the_pdf": ("生成 PDF", "Make the PDF"),
})

# --- app_pages/scenarios.py: its former inline literals ---
T.update({
    "sc_pg_save_the_current_plan": ("保存当前方案", "Save the current plan"),
    "sc_pg_siting": ("儿童之家选址", "siting"),
    "sc_pg_staffing": ("人员配置", "staffing"),
    "sc_pg_funding": ("经费分配", "funding"),
    "sc_pg_scenario_name": ("方案名称", "Scenario name"),
    "sc_pg_note": ("说明", "Note"),
    "sc_pg_save": ("保存", "Save"),
    "sc_pg_give_the_scenario_a": ("请填写方案名称", "Give the scenario a name"),
    "sc_pg_saving": ("正在保存…", "Saving…"),
    "sc_pg_saved_scenarios": ("已保存的方案", "Saved scenarios"),
    "sc_pg_no_saved_scenario_yet": ("还没有保存的方案。", "No saved scenario yet."),
    "sc_pg_scenario": ("方案", "Scenario"),
    "sc_pg_open_load_its_policy": ("打开（载入其政策参数）", "Open (load its policy)"),
    "sc_pg_export_as_one_file": ("导出为单个文件", "Export as one file"),
    "sc_pg_import_a_scenario_file": ("导入方案文件（.gpkg）", "Import a scenario file (.gpkg)"),
    "sc_pg_import": ("导入", "Import"),
    "sc_pg_compare_2_4_scenarios": ("对比（2–4 个方案）", "Compare (2–4 scenarios)"),
    "sc_pg_scenarios": ("选择方案", "Scenarios"),
    "sc_pg_pick_at_least_two": ("至少选择两个方案。", "Pick at least two scenarios."),
    "sc_pg_per_township_measure": ("按乡镇对比的指标", "Per-township measure"),
    "sc_pg_difference": ("差异：", "Difference: "),
    "sc_pg_download_comparison_xlsx": ("下载对比 XLSX", "Download comparison XLSX"),
})
T.update({
    "ha_pg_caption": ("三年行动方案第13–14项：发挥河湖长制平台作用，加强对人口集中居住地区河湖明渠的巡查，"
                      "因地制宜设置隔离防护设施，"
                      "推进危险点“四个一”（警示牌、救生圈、救生绳、救生杆）建设；汛期排查涉儿童机构周边水域；"
                      "每年至少开展一次安全知识进村（社区）活动。",
                      "Three-year action plan, items 13–14: use the river/lake-chief platform to patrol rivers, "
                      "lakes and open channels "
                      "near where people live, with barriers where fit; a warning sign, a life buoy, a rescue "
                      "rope and a rescue pole at every danger spot; in the flood season inspect the water "
                      "around children's institutions; one safety-knowledge activity per village per year."),
    "ha_pg_score_rule": ("风险分值 = 水体类型系数 × 岸坡系数 × Σ（村儿童加权数 × e^(−距离/衰减尺度) × 地势系数）"
                         "＋ 学校、幼儿园、儿童之家折算数（同样随距离衰减）。",
                         "Score = water-kind weight × bank-slope factor × Σ (weighted children of a village × "
                         "e^(−distance/decay) × low-ground factor) + schools, kindergartens and children's "
                         "homes as children-equivalents (same decay)."),
    "ha_pg_checked_by_help": ("填写职务或编码（如 村级河长、河长-500109102003），不填姓名",
                              "A role or code (e.g. village river chief, 河长-500109102003), never a name"),
    "ha_pg_colon": ("：", ": "),
})
T.update({
    "sc_pg_will_save": ("将保存：政策参数调整 {n} 项；结果：{results}",
                        "Will save: {n} policy override(s); results: {results}"),
    "sc_pg_list_sep": ("、", ", "), "sc_pg_none": ("无", "none"),
    "sc_pg_imported": ("已导入“{name}”", "Imported '{name}'"),
    "sc_pg_different_counties": ("所选方案属于不同区县，只比较汇总指标。",
                                 "The scenarios are for different counties: only key figures are compared."),
    "sc_pg_maps_same_county": ("地图只在当前区县与方案区县相同时显示。",
                               "Maps show when the county in use is the scenarios' county."),
})
# --- punctuation around words: full-width in Chinese, ASCII with a space in English ---------------
T.update({
    "colon": ("：", ": "),
    "paren": ("（{x}）", " ({x})"),
    # amounts (geo.fmt.yuan): whole yuan and 万元
    "amount_yuan": ("{x} 元", "{x} yuan"),
    "amount_wan_yuan": ("{x} 万元", "{x} × 10,000 yuan"),
    "list_semicolon": ("；", "; "),
    "siting_rule_caption": ("{ref}：常住儿童 100 人以上的村应设立儿童之家，不足 100 人的村可联合建立区域性儿童之家，"
                            "依托村（社区）民政工作站或村小、幼儿园，充分利用学校少年宫、妇女之家、农家书屋，避免重复建设。",
                            "{ref}: villages with 100+ children should have their own home; smaller villages may "
                            "share a regional one hosted by a service station, school or kindergarten, reusing "
                            "youth palaces, women's homes and libraries rather than building twice."),
    "siting_threshold_input": ("单独设立的儿童数门槛（{ref}）", "Own-home threshold (children)"),
})


def paren(text: object, lang: str = "zh") -> str:
    """``text`` in brackets after a word: ``（500109）`` in Chinese, `` (500109)`` in English."""
    return t("paren", lang).format(x=text)


T.setdefault("brief_big_villages", ("{threshold} 人以上村（应单独设立）", "villages with {threshold}+ children"))
T.update({  # identify on the map (issue 17): facilities, danger reaches, several features at once
    "id_hits": ("此处有 {n} 个要素", "{n} features here"),
    "id_f_name": ("名称", "Name"),
    "id_f_kind": ("类型", "Kind"),
    "id_f_status": ("状态", "Status"),
    "id_f_capacity": ("容量（儿童）", "Capacity (children)"),
    "id_f_village": ("所在村（社区）", "Village"),
    "id_none": ("—", "—"),
    "id_r_unnamed": ("（未命名）", "(unnamed)"),
    "id_r_length": ("长度", "Length"),
    "id_r_score": ("风险分值（最高河段）", "Risk score (highest segment)"),
    "id_r_why": ("为何危险", "Why it is risky"),
    "id_r_why_text": ("{m} 米内常住儿童 {children} 人，其中留守 {left}、困境 {diff}；"
                      "学校/幼儿园/儿童之家 {fac} 处",
                      "{children} resident children within {m} m ({left} left-behind, "
                      "{diff} in difficulty); {fac} schools/kindergartens/children's homes"),
    "id_r_villages": ("{m} 米内的村（社区）", "Villages within {m} m"),
    "id_r_more": ("等 {n} 个", "… {n} in all"),
})
T.update({  # the siting page's rules, locks, figures and downloads
    "siting_travel_cap_m": ("最大服务距离（米）", "Travel cap (m)"),
    "siting_default_capacity": ("共建之家容量（0=不限）", "Capacity per home (0 = none)"),
    "siting_max_new_homes": ("共建之家数量上限（-1=不限）", "Most shared homes (-1 = no budget)"),
    "siting_stay_within_township": ("只服务本乡镇的村", "Within the township only"),
    "siting_rivers_are_barriers": ("河流为阻隔（经桥梁通过）", "Rivers are barriers (cross at bridges)"),
    "siting_allow_new_build": ("允许在村委会驻地新建", "Allow new builds"),
    "siting_cost_by_kind_title": ("**建设（改造）成本，元** ", "**Set-up cost by host kind, yuan**"),
    "siting_locks_title": ("必选、排除与锁定", "Must-open, never-open and locked"),
    "siting_must_open": ("必须开设的场所", "Must open"),
    "siting_never_open": ("不得开设的场所", "Never open"),
    "siting_solve": ("求解选址方案", "Solve siting"),
    "siting_metric_existing": ("已有", "Existing"),
    "siting_metric_reuse": ("改建", "Reuse"),
    "siting_metric_new": ("新建", "New"),
    "siting_metric_cost": ("费用（元）", "Cost (yuan)"),
    "siting_metric_covered": ("覆盖村比例", "Villages covered"),
    "siting_uncovered_prefix": ("未覆盖的村：", "Villages not covered: "),
    "siting_download_gpkg": ("下载 GeoPackage", "Download GeoPackage"),
})
T.update({  # map legends, snapshot buttons, solve status, report locations (geo/, childplan/ui.py)
    "snap_legend_posts_open": ("缺儿童主任", "posts open"),
    "snap_legend_fully_staffed": ("已配齐", "fully staffed"),
    "snap_legend_yuan": ("元", "yuan"),
    "snap_legend_danger_spot": ("溺水危险点（排名）", "danger spot (rank)"),
    "snap_export_button": ("导出地图快照（PNG/PDF）", "Export map snapshot (PNG/PDF)"),
    "snap_drawing": ("正在生成地图…", "Drawing the map…"),
    "snap_download_png": ("下载 PNG", "Download PNG"),
    "snap_download_pdf": ("下载 PDF", "Download PDF"),
    "solve_running": ("正在求解…", "Solving…"),
    "map_staff_legend_gap": ("缺儿童主任（待招募）", "posts left open"),
    "map_staff_legend_hours_unit": ("小时/月", "h/month"),
    "map_staff_legend_title": ("儿童主任配置与工作量", "Directors and workload"),
    "map_home_legend_existing": ("已有儿童之家", "existing home"),
    "map_home_legend_reuse": ("利用现有设施改建", "reuse of a facility"),
    "map_home_legend_own_home": ("有自有儿童之家的村", "village with its own home"),
    "map_home_legend_sharing": ("共建共享的村", "village sharing a home"),
    "map_home_legend_not_covered": ("未覆盖的村", "village not covered"),
    "map_home_legend_served_by": ("服务关系", "served by"),
    "map_township_code": ("代码", "Code"),
    "hz_reach_span": ("{x}–{y}（{length:.0f} 米，{n} 段）", "{x}–{y} ({length:.0f} m, {n} segment{s})"),
    "hz_patrol_footer": ("003 §14 · 河湖长制", "003 §14 · river/lake-chief system"),
    "report_where_row": ("第{row}行", "row {row}"),
    "report_where_column": ("列“{column}”", "column '{column}'"),
    "brief_item": ("第{n}项", "item {n}"),
})
