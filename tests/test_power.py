"""The power plan: against a hand-checked case, a simulation, and the pilot's own numbers."""

from pathlib import Path

import numpy as np
import pytest
from scipy import stats as scipy_stats

from experiments.analysis.claims import plan_file, power
from experiments.analysis.claims.claim import Claim
from experiments.analysis.evidence.stats import one_sided_p, tost_p
from tests.synthetic_records import record


def test_one_sided_power_matches_the_noncentral_t_by_hand():
    # n = 10, d = 1 sd, alpha = 0.05: power = P(t'(9, sqrt(10)) > t_0.95(9)).
    by_hand = scipy_stats.nct.sf(scipy_stats.t.ppf(0.95, 9), 9, np.sqrt(10))
    assert power.one_sided_power(1.0, 1.0, 10, 0.05) == pytest.approx(by_hand, abs=1e-6)


def test_tost_power_is_zero_at_the_margin_and_grows_with_seeds():
    assert power.tost_power(0.02, 0.01, 0.02, 10, 0.05) < 0.06
    assert power.tost_power(0.0, 0.01, 0.02, 5, 0.05) < power.tost_power(0.0, 0.01, 0.02, 20, 0.05)


@pytest.mark.parametrize("test, gain, sd, margin", [("better", 0.03, 0.04, 0.02), ("equivalence", 0.004, 0.015, 0.02)])
def test_at_the_planned_seeds_the_claim_is_decided_in_about_the_planned_share_of_studies(test, gain, sd, margin):
    alpha = 0.05 / 18
    n = power.seeds_needed(test, gain, sd, margin, alpha)
    rng = np.random.default_rng(0)
    decided = []
    for _ in range(2000):
        d = rng.normal(gain, sd, n)
        p = one_sided_p(d, "greater") if test == "better" else tost_p(d, margin)
        decided.append(p < alpha)
    assert 0.87 <= np.mean(decided) <= 0.95, (n, np.mean(decided))
    one_fewer = power.one_sided_power(gain, sd, n - 1, alpha) if test == "better" else None
    assert one_fewer is None or one_fewer < power.POWER  # n is the fewest


def test_claims_the_cap_or_the_pilot_cannot_decide_say_so():
    assert power.seeds_needed("better", -0.01, 0.02, 0.02, 0.01) is None
    assert power.seeds_needed("equivalence", 0.025, 0.01, 0.02, 0.01) is None
    assert power.seeds_needed("better", 0.001, 0.05, 0.02, 0.001, cap=40) is None


def test_the_plan_reads_the_pilot_paired_by_seed():
    runs = []
    for seed, (a, b) in enumerate([(0.80, 0.70), (0.82, 0.71), (0.79, 0.70), (0.81, 0.72)]):
        runs += [
            record("bird_plane", "sigmoid+bce", seed, [0.5, a]),
            record("bird_plane", "sigmoid+mse", seed, [0.5, b]),
        ]
    claim = Claim("x", "q", "s", "bird_plane", "better", "accuracy", "sigmoid+bce", "sigmoid+mse")
    (row,), level = power.plan(runs, [claim])
    assert row.pilot_seeds == 4 and row.pilot_gain == pytest.approx(0.0975) and level == pytest.approx(0.05)
    assert row.seeds == power.seeds_needed("better", row.pilot_gain, row.paired_sd, 0.02, 0.05)


RESULTS = Path(__file__).resolve().parents[1] / "results"
# Every committed study with records (a study whose runs have not started yet holds only its plan).
STUDIES = sorted(p.parent.name for p in RESULTS.glob(f"*/{plan_file.PLAN_FILE}") if any(p.parent.glob("runs/*/*.json")))


def test_the_post_study_is_committed():
    assert "confirmatory" in STUDIES


@pytest.mark.parametrize("study", STUDIES)
def test_a_studys_records_name_one_commit_one_machine_and_a_clean_tree(study):
    from experiments import records

    folder = RESULTS / study
    plan = plan_file.read_plan(folder)
    recs = records.load_all(folder).records
    assert plan is not None and recs
    envs = {(r["environment"]["git_commit"], r["environment"]["git_dirty"], r["environment"]["cpu"]) for r in recs}
    assert envs == {(plan["git_commit"], False, plan["cpu"])}
    assert len({r["environment"]["platform"] for r in recs}) == 1
    assert min(r["seed"] for r in recs) >= plan["first_seed"] > max(plan["pilot"]["seeds"])


def test_a_new_study_starts_after_every_seed_another_study_trained(tmp_path):
    for name, seeds in (("a", (10, 33)), ("b", (34, 40))):
        (tmp_path / name / "runs" / "t").mkdir(parents=True)
        (tmp_path / name / plan_file.PLAN_FILE).write_text("{}")
        for s in seeds:
            (tmp_path / name / "runs" / "t" / f"t__p__s{s}__0000.json").write_text("{}")
    (tmp_path / "pilot" / "runs" / "t").mkdir(parents=True)  # no plan: not a study
    (tmp_path / "pilot" / "runs" / "t" / "t__p__s99__0000.json").write_text("{}")
    assert plan_file.seeds_of_other_studies(tmp_path) == {str(tmp_path / "a"): [10, 33], str(tmp_path / "b"): [34, 40]}
    assert list(plan_file.seeds_of_other_studies(tmp_path, exclude=[tmp_path / "a"])) == [str(tmp_path / "b")]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--power", "1.5"], "--power must lie strictly between 0 and 1"),
        (["--cap", "1"], "--cap must be at least 3 seeds, got 1"),
        (["--first-seed", "5"], "would reuse the pilot's seeds (0-9)"),
        (["--first-seed", "100000000000000000000"], "leaves no room for 40 seeds below 2**32"),
        (["--first-seed", "-1"], "--first-seed must be a seed, a non-negative integer (e.g. "),
        (["--write", "--results", "results/confirmatory"], "a plan is never replaced"),
    ],
)
def test_plan_refuses_what_would_break_the_study(argv, message, capsys):
    from experiments.cli import main

    assert main(["plan", *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_broken_plan_file_is_named_in_one_line(tmp_path):
    (tmp_path / plan_file.PLAN_FILE).write_text("{")
    with pytest.raises(ValueError, match="plan.json is not a power plan"):
        plan_file.read_plan(tmp_path)
    (tmp_path / plan_file.PLAN_FILE).write_text("{}")
    with pytest.raises(ValueError, match="lacks claims"):
        plan_file.read_plan(tmp_path)


def test_plan_refuses_a_pilot_with_an_invalid_record_and_names_the_repair(tmp_path, capsys):
    from experiments.cli import main

    bad = tmp_path / "runs" / "bird_plane" / "bird_plane__sigmoid+bce__s0__0123abcd.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("{")
    assert main(["plan", "--pilot", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no plan computed: repair the pilot before sizing a study" in err and bad.name in err
    assert "python -m experiments sweep" in err  # the repair
