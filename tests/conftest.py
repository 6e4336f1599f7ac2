"""Tiny hand-checkable fixtures shared by the tests.

A toy county "500109" made of two square townships side by side near Beibei:
township 500109102 covers lon 106.40–106.45, township 500109104 covers lon 106.45–106.50,
both lat 29.80–29.85. Villages sit at known points inside them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

VILLAGE_HEADER = (
    "village_code,name,township_code,resident_children,left_behind,orphan,unsupported,"
    "illness_disability,dibao_tekun,difficulty_other,key_attention,lon,lat"
)
VILLAGE_ROWS = [
    "500109102001,甲村,500109102,120,20,1,0,2,3,0,5,106.41,29.81",
    "500109102002,乙村,500109102,80,10,0,1,0,1,0,2,106.43,29.83",
    "500109104001,丙村,500109104,60,12,0,0,1,0,0,1,106.47,29.82",
    "500109104002,丁社区,500109104,300,3,0,0,0,2,1,0,106.48,29.84",
]


def square(x0, y0, x1, y1):
    return [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]


def feature(props, geom_type, coords):
    return {"type": "Feature", "properties": props,
            "geometry": None if coords is None else {"type": geom_type, "coordinates": coords}}


def write_geojson(path: Path, features) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    """A valid toy county on disk: county, townships, villages (CSV with lon/lat)."""
    write_geojson(tmp_path / "county.geojson", [feature(
        {"adcode": "500109", "name": "北碚区", "province": "重庆市", "designations": ""},
        "Polygon", square(106.40, 29.80, 106.50, 29.85))])
    write_geojson(tmp_path / "townships.geojson", [
        feature({"township_code": "500109102", "name": "澄江镇"}, "Polygon",
                square(106.40, 29.80, 106.45, 29.85)),
        feature({"township_code": "500109104", "name": "童家溪镇"}, "Polygon",
                square(106.45, 29.80, 106.50, 29.85)),
    ])
    (tmp_path / "villages.csv").write_text(
        VILLAGE_HEADER + "\n" + "\n".join(VILLAGE_ROWS) + "\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def toy_sources(toy_dir: Path) -> dict[str, Path]:
    return {
        "county": toy_dir / "county.geojson",
        "townships": toy_dir / "townships.geojson",
        "villages": toy_dir / "villages.csv",
    }


# --- slow tests ----------------------------------------------------------------------------
# `pytest -m "not slow and not e2e"` is the quick run (well under a minute); `make test` runs
# everything. A test is slow when it solves the demo county, starts a Dask cluster, runs the
# app headless or regenerates data: whole modules here, single tests below (by name, so the
# test files themselves stay as they are).
SLOW_MODULES = {"test_batch.py", "test_app_pages.py", "test_make_demo.py",
                # every CLI command in a subprocess (4–48 s each)
                "test_security_network.py", "test_security_pii.py"}
SLOW_TESTS = {
    "test_cli.py": {"test_fund_refuses_impossible_budget", "test_site_with_a_road_travel_matrix",
                    "test_fund_across_two_counties_tilts_to_the_old_soviet_base",
                    "test_staff_files", "test_fund_sums_to_budget_and_columns",
                    "test_site_files_and_columns"},
    "test_hazards.py": {"test_page_checklist_save_clears_the_flag", "test_page_in_english",
                        "test_a_chief_column_in_the_waterways_layer_is_used",
                        "test_run_hazards_exports_read_back_row_by_row",
                        "test_pdf_renders_chinese", "test_demo_county_invariants"},
    "test_staffing.py": {"test_invariants_on_a_synthetic_county",
                         "test_batches_do_not_change_the_optimum",
                         "test_lp_path_matches_the_milp_and_both_solvers_agree",
                         "test_invariants_with_several_villages_per_director",
                         "test_invariants_on_the_demo_county"},
    "test_layers.py": {"test_changting_carries_its_designations", "test_cli_validate_exit_codes",
                       "test_cli_unknown_layer_file_exits_2",
                       "test_demo_and_uploaded_copies_give_identical_layers",
                       "test_embedded_counties_load_clean"},
    "test_siting.py": {"test_demo_county_invariants"},
    # the export walk of issue 16: every command in zh and en (3–20 s each)
    "test_i18n_walk.py": {"test_chinese_files_hold_no_identifiers",
                          "test_english_files_hold_no_chinese_labels",
                          "test_briefing_pdf_in_chinese_holds_no_identifiers",
                          "test_briefing_pdf_in_english_holds_only_names_in_chinese"},
    "test_store.py": {"test_killed_in_the_middle_of_a_save_leaves_the_previous_state"},
    "test_results.py": {"test_siting_page_coverage_is_one_minus_uncovered_share"},
    "test_errors.py": {"test_batch_reports_a_staffing_failure_with_its_reason"},
    "test_staffing_distances.py": {"test_staffing_and_siting_see_the_same_distances"},
    "test_security.py": {"test_dollar_names_do_not_crash_figures",
                         "test_chiefs_whose_names_clean_alike_get_one_file_each",
                         "test_cli_reports_as_many_patrol_pdfs_as_it_writes"},
    "test_security_store.py": {"test_concurrent_first_use_creates_one_sound_store"},
    "test_briefing.py": {"test_briefing_text_holds_scenario_org_and_every_finding",
                         "test_briefing_in_english", "test_briefing_figure_names_every_township"},
    "test_travel_siting.py": {"test_siting_page_walk_minutes_with_accessibility",
                              "test_staffing_page_metric_choice_is_named"},
    # the app headless (AppTest) and the brute-force model checks: 2.5–15 s each
    "test_plan.py": {"test_open_b_then_baseline_briefs_the_baseline",
                     "test_comparison_shares_class_breaks_and_lists_differing_parameters",
                     "test_changed_override_marks_siting_stale_and_disables_exports",
                     "test_budget_and_solver_survive_a_page_change",
                     "test_sidebar_names_the_plan_in_the_same_run"},
    "test_siting_bruteforce.py": {"test_model_equals_brute_force"},
    "test_capacitated.py": {"test_search_bound_and_fixings_keep_the_optimum",
                            "test_status_follows_the_proven_gap_when_the_time_limit_stops"},
    # stop 26: the quick run's slowest (2.2–15 s each, measured with --durations): whole-county
    # solves through the CLI, the briefing PDF and the pages; they run in the full suite
    "test_plan_figures.py": {"test_page_briefing_and_cli_show_one_child_weighted_mean_distance"},
    "test_capacitated_siting.py": {"test_siting_page_lists_open_blocks_and_continues",
                                   "test_siting_page_shows_load_against_capacity",
                                   "test_demo_county_capacity_100_same_optimum_with_cbc_and_highs",
                                   "test_cli_site_capacity_override_writes_load_against_capacity",
                                   "test_time_limit_lists_the_open_blocks",
                                   "test_demo_county_default_plan_unchanged_by_the_capacitated_path"},
    "test_cli_scenario.py": {"test_save_then_brief_shows_a_fresh_solve_with_the_same_overrides",
                             "test_brief_of_a_saved_scenario_prints_title_org_date_and_its_assumptions",
                             "test_brief_with_changed_policy_but_no_scenario_says_unsaved"},
    "test_solver_quiet.py": {"test_a_capacitated_cli_site_prints_no_solver_banner"},
    "test_briefing_coverage.py": {"test_briefing_coverage_is_one_minus_uncovered_share"},
    "test_travel_catchments.py": {"test_demo_briefing_prints_the_access_shares",
                                  "test_cli_site_writes_the_access_shares_the_travel_model_gives",
                                  "test_demo_catchments_and_nearest_welfare_institution"},
    "test_hazards_travel.py": {"test_hazard_page_on_foot_names_the_metric",
                               "test_demo_hazards_follow_the_metric"},
    "test_siting_own_home.py": {"test_demo_county_155_homes_1620000_yuan"},
    "test_phased_app.py": {"test_phased_page_solves_three_years",
                           "test_phased_plan_is_saved_and_compared_as_scenarios_are",
                           "test_year_view_matches_the_models_year_table",
                           "test_map_page_year_selector_shows_that_year_and_holds_the_exports"},
    "test_phased_cli.py": {"test_site_years_writes_the_three_tables_in_chinese"},
}


def pytest_collection_modifyitems(config, items):
    """Mark the slow tests (see SLOW_MODULES and SLOW_TESTS)."""
    for item in items:
        module = item.path.name
        name = getattr(item, "originalname", item.name)
        if module in SLOW_MODULES or name in SLOW_TESTS.get(module, ()):
            item.add_marker(pytest.mark.slow)
