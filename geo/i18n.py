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
    "plan_stale": ("{kind}结果已过期：数据或参数已更改，导出和简报已停用，请重新求解。",
                   "The {kind} result is stale (过期): the data or parameters changed; exports "
                   "and the briefing are off until it is solved again."),
    "plan_resolve": ("重新求解", "Solve again"),
    "plan_kind_siting": ("选址", "siting"),
    "plan_kind_staffing": ("人员配置", "staffing"),
    "plan_kind_funding": ("经费分配", "funding"),
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
    "metric": {m: T[f"metric_{m}"] for m in ("straight", "road_m", "walk_min")},
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
    """Label of a key figure or township measure."""
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
}


def localise_headers(frame, lang: str = "zh"):
    """A copy of ``frame`` with Chinese headers where known (English: unchanged)."""
    if lang != "zh":
        return frame
    return frame.rename(columns={c: HEADERS_ZH.get(c, c) for c in frame.columns})
