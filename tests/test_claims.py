"""Discovered claims: alignment across outlets, omission candidates, edge cases, the ECB+ benchmark.

Every article text here is invented for the tests (sample data; the outlets are fictional).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import REPO, require_ecbplus
from hypothesis import given, settings
from hypothesis import strategies as st

from narratives.claims import (
    Claim,
    ClaimAligner,
    ClaimSentence,
    comparable_text,
    content_words,
    is_comparable,
    omission_candidates,
    outlet_claim_matrix,
)

# One event, four fictional outlets. The market strike is told three ways; the flight of
# families three ways; the state outlet leaves out the strike.
EVENT = [
    (
        1,
        "ledger",
        [
            "DAMASCUS (Ledger) — Russian warplanes bombed the central market in Kafr Nabl on Tuesday, "
            "killing at least twelve civilians.",
            "Thousands of families fled north towards the Turkish border as the offensive advanced.",
            "The local football club postponed its weekend match against a team from the coast.",
            "By Jane Doe and John Roe",
        ],
    ),
    (
        2,
        "courier",
        [
            "At least twelve civilians were killed on Tuesday when Russian jets bombed the central market of Kafr Nabl.",
            "The advance forced thousands of families to flee north toward the Turkish border, aid groups said.",
            "Wheat prices in the capital rose for a third week because of the drought.",
        ],
    ),
    (
        3,
        "herald",
        [
            "Russian warplanes struck the central market in Kafr Nabl on Tuesday, killing twelve civilians, rescuers said.",
            "A new museum of regional crafts opened in the old customs house.",
        ],
    ),
    (
        4,
        "statetv",
        [
            "Syrian army units liberated three villages south of Kafr Nabl from terrorists.",
            "Thousands of families fled north to the Turkish border as the operation advanced, local sources said.",
            "Thousands of families fled north to the Turkish border as the operation advanced, local sources said.",
        ],
    ),
]


def keyed(claims: list[Claim]) -> list[frozenset[tuple[int, int]]]:
    return [frozenset((s.article_id, s.sentence_index) for s in c.sentences) for c in claims]


def claim_with(claims: list[Claim], article_id: int, index: int) -> Claim | None:
    return next(
        (
            c
            for c in claims
            if any((s.article_id, s.sentence_index) == (article_id, index) for s in c.sentences)
        ),
        None,
    )


# --------------------------------------------------------------------------- alignment


def test_paraphrases_across_outlets_align_into_claims():
    claims = ClaimAligner().fit(EVENT).claims_
    market, flight = claim_with(claims, 1, 0), claim_with(claims, 1, 1)
    assert market is not None and flight is not None and market is not flight
    assert market.outlets == ("courier", "herald", "ledger")
    assert {(s.article_id, s.sentence_index) for s in market.sentences} == {(1, 0), (2, 0), (3, 0)}
    assert flight.outlets == ("courier", "ledger", "statetv")
    # the state outlet's repeated sentence joins the claim but counts once
    assert {(s.article_id, s.sentence_index) for s in flight.sentences_of("statetv")} == {(4, 1), (4, 2)}
    assert market.label in {s.sentence for s in market.sentences}
    assert [c.id for c in claims] == list(range(len(claims)))


def test_unrelated_and_single_outlet_sentences_are_not_claims():
    claims = ClaimAligner().fit(EVENT).claims_
    for article_id, index in [
        (1, 2),
        (2, 2),
        (3, 1),
        (4, 0),
        (1, 3),
    ]:  # football, wheat, museum, villages, byline
        assert claim_with(claims, article_id, index) is None, (article_id, index)
    unrelated = [
        (1, "a", ["The parliament approved the new budget for schools and hospitals on Friday."]),
        (2, "b", ["Heavy snow closed the mountain pass between the two northern provinces overnight."]),
    ]
    assert ClaimAligner().fit(unrelated).claims_ == []


def test_one_outlet_repeating_itself_is_not_a_claim():
    sentence = (
        "Russian warplanes bombed the central market in Kafr Nabl on Tuesday, killing twelve civilians."
    )
    docs = [
        (1, "ledger", [sentence]),
        (2, "ledger", [sentence]),
        (3, "courier", ["Wheat prices rose again this week."]),
    ]
    assert ClaimAligner().fit(docs).claims_ == []
    # ...and with min_outlets=1 that one outlet's repeated sentence is a claim of its own
    (claim,) = ClaimAligner(min_outlets=1).fit(docs[:2]).claims_
    assert claim.outlets == ("ledger",) and len(claim.sentences) == 2


def test_min_outlets_three_keeps_only_claims_three_outlets_carry():
    claims = ClaimAligner(min_outlets=3).fit(EVENT).claims_
    assert all(len(c.outlets) >= 3 for c in claims) and len(claims) == 2


def test_mutual_and_complete_linkage_also_align_the_strike():
    for method in ("mutual", "complete", "single"):
        market = claim_with(ClaimAligner(linkage=method).fit(EVENT).claims_, 1, 0)
        assert market is not None and market.outlets == ("courier", "herald", "ledger"), method


def test_claims_are_deterministic_with_stable_ids_and_a_partition_of_sentences():
    first, again = ClaimAligner().fit(EVENT).claims_, ClaimAligner().fit(EVENT).claims_
    assert first == again
    seen = [(s.article_id, s.sentence_index) for c in first for s in c.sentences]
    assert len(seen) == len(set(seen))
    # more outlets first, then the earliest sentence
    assert [
        (-len(c.outlets), min((s.article_id, s.sentence_index) for s in c.sentences)) for c in first
    ] == sorted((-len(c.outlets), min((s.article_id, s.sentence_index) for s in c.sentences)) for c in first)


def test_fitted_attributes_and_parameters():
    aligner = ClaimAligner(threshold=0.4).fit(EVENT)
    assert aligner.get_params()["threshold"] == 0.4
    assert aligner.outlets_ == ["courier", "herald", "ledger", "statetv"]
    assert aligner.n_sentences_ == 12
    assert aligner.n_compared_ == 10  # the byline out, the state outlet's repeat counted once
    assert outlet_claim_matrix(aligner.claims_, ["statetv", "ledger"]) == {
        "ledger": tuple("ledger" in c.outlets for c in aligner.claims_),
        "statetv": tuple("statetv" in c.outlets for c in aligner.claims_),
    }


@pytest.mark.parametrize(
    "params, message",
    [
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"min_outlets": 0}, "min_outlets"),
        ({"min_words": 0}, "min_words"),
        ({"char_weight": 2.0}, "char_weight"),
        ({"linkage": "ward"}, "linkage"),
    ],
)
def test_bad_parameters_say_what_to_fix(params, message):
    with pytest.raises(ValueError, match=rf"claims: {message}=.*Fix:"):
        ClaimAligner(**params).fit(EVENT)


def test_an_article_id_given_twice_is_refused():
    with pytest.raises(ValueError, match="article id is given twice"):
        ClaimAligner().fit([(1, "a", ["x"]), (1, "b", ["y"])])


# --------------------------------------------------------------------------- omission candidates


def test_omission_candidates_on_the_event():
    claims = ClaimAligner().fit(EVENT).claims_
    market = claim_with(claims, 1, 0)
    found = omission_candidates(claims, ["ledger", "courier", "herald", "statetv", "silent"])
    assert list(found) == ["courier", "herald", "ledger", "silent", "statetv"]
    assert market in found["statetv"]
    assert market not in found["ledger"] and market not in found["courier"]
    assert claim_with(claims, 1, 1) in found["herald"]
    assert found["silent"] == sorted(claims, key=lambda c: c.id)  # an outlet that carried nothing
    assert omission_candidates(claims, ["statetv"], min_support=4) == {"statetv": []}


def _claim(id_: int, *outlets: str) -> Claim:
    sentences = tuple(ClaimSentence(n, o, 0, f"{o} says the bridge fell") for n, o in enumerate(outlets))
    return Claim(id_, sentences, tuple(sorted(outlets)), sentences[0].sentence)


def test_omission_candidates_count_other_outlets_only():
    two, three, one = _claim(0, "a", "b"), _claim(1, "a", "b", "c"), _claim(2, "d")
    found = omission_candidates([three, two, one], ["a", "b", "c", "d", "x"], min_support=2)
    assert found == {"a": [], "b": [], "c": [two], "d": [two, three], "x": [two, three]}  # by id
    assert omission_candidates([three, two], ["x"], min_support=3) == {"x": [three]}
    assert omission_candidates([], ["x"]) == {"x": []}
    assert omission_candidates([three], []) == {}
    with pytest.raises(ValueError, match="min_support=0 must be >= 1"):
        omission_candidates([three], ["x"], min_support=0)


# --------------------------------------------------------------------------- edge cases


def test_empty_and_one_outlet_events():
    assert ClaimAligner().fit([]).claims_ == []
    assert ClaimAligner().fit([(1, "a", []), (2, "b", [])]).claims_ == []
    assert ClaimAligner().fit([EVENT[0]]).claims_ == []
    assert ClaimAligner().fit([(1, "a", [""]), (2, "b", ["", "   "])]).claims_ == []


def test_an_outlet_with_only_short_sentences_carries_nothing_and_is_still_flagged():
    docs = [*EVENT[:3], (9, "wire", ["Breaking.", "More soon.", "12 May 2026", "Read more", ""])]
    aligner = ClaimAligner().fit(docs)
    assert all("wire" not in c.outlets for c in aligner.claims_)
    assert claim_with(aligner.claims_, 1, 0) in omission_candidates(aligner.claims_, aligner.outlets_)["wire"]


def test_bylines_datelines_stamps_and_urls_are_not_compared():
    assert not is_comparable("By Jane Doe and John Roe, Staff Reporters")
    assert not is_comparable("Published 12 May 2026 10:32 GMT, updated 12 May 2026 11:05 GMT")
    assert not is_comparable("12 May 2026 10:32 GMT Tuesday 13 May")
    assert not is_comparable("https://example.org/news/2026/05/12/market-strike-kafr-nabl-twelve-dead")
    assert not is_comparable("Follow us on Telegram for the latest updates from the front line")
    assert is_comparable(
        "By Tuesday evening rescuers had pulled twelve bodies from the rubble of the market."
    )
    assert comparable_text("DAMASCUS, Syria (AP) — Jets bombed the market.") == "Jets bombed the market."
    assert comparable_text("МОСКВА, 12 мая — Войска заняли село.") == "Войска заняли село."
    assert comparable_text("UN envoy visits the town.") == "UN envoy visits the town."


def test_non_latin_scripts_do_not_crash_and_align():
    ru = [
        (
            1,
            "a",
            [
                "Российские самолёты нанесли удар по центральному рынку Кафр-Набля, погибли двенадцать мирных жителей."
            ],
        ),
        (
            2,
            "b",
            [
                "Российская авиация нанесла удар по центральному рынку Кафр-Набля: погибли двенадцать мирных жителей."
            ],
        ),
        (3, "c", ["Футбольный клуб перенёс матч из-за плохой погоды на следующую неделю."]),
    ]
    (claim,) = ClaimAligner().fit(ru).claims_
    assert claim.outlets == ("a", "b")
    zh = [
        (1, "a", ["俄罗斯战机周二轰炸了卡夫尔纳布勒的中央市场，造成至少十二名平民死亡。"]),
        (2, "b", ["周二，俄罗斯战机轰炸卡夫尔纳布勒中央市场，至少十二名平民死亡。"]),
        (3, "c", ["ضربت طائرات روسية السوق المركزي في كفرنبل يوم الثلاثاء ما أسفر عن مقتل اثني عشر مدنيا."]),
        (4, "d", ["ضربت طائرات حربية روسية السوق المركزي في كفرنبل الثلاثاء وقتل اثنا عشر مدنيا."]),
        (5, "e", ["🙂🙂🙂 ... ——", "\u200b\u200b", "ไฟไหม้ตลาดกลางเมืองเมื่อคืนนี้มีผู้เสียชีวิตสิบสองคน"]),
    ]
    claims = ClaimAligner().fit(zh).claims_
    assert {c.outlets for c in claims} == {("a", "b"), ("c", "d")}
    assert len(content_words("俄罗斯战机")) == 4


# --------------------------------------------------------------------------- properties

POOL = [
    "Russian warplanes bombed the central market in Kafr Nabl on Tuesday, killing twelve civilians.",
    "Twelve civilians were killed when Russian jets bombed the central market of Kafr Nabl on Tuesday.",
    "Thousands of families fled north towards the Turkish border as the offensive advanced.",
    "The advance forced thousands of families to flee north toward the Turkish border.",
    "Government troops entered three villages south of the town on Monday, the army said.",
    "The army said government troops had entered three villages south of the town on Monday.",
    "A hospital in the town stopped admitting patients after its generator was hit by shelling.",
    "The town's football club postponed its weekend match against a team from the coast.",
    "Wheat prices in the capital rose for a third week because of the long drought.",
    "Aid convoys waited at the border crossing for permission to enter the province.",
]
OUTLETS = ["ledger", "courier", "herald", "statetv", "wire"]
EVENTS = st.lists(st.lists(st.sampled_from(range(len(POOL))), min_size=0, max_size=6), min_size=1, max_size=5)


def _docs(picks: list[list[int]]) -> list[tuple[int, str, list[str]]]:
    return [(10 + n, OUTLETS[n], [POOL[i] for i in pick]) for n, pick in enumerate(picks)]


@settings(max_examples=40, deadline=None)
@given(picks=EVENTS, data=st.data())
def test_document_order_does_not_change_claims(picks, data):
    docs = _docs(picks)
    shuffled = data.draw(st.permutations(docs))
    assert ClaimAligner().fit(shuffled).claims_ == ClaimAligner().fit(docs).claims_


@settings(max_examples=40, deadline=None)
@given(picks=EVENTS, which=st.integers(min_value=0, max_value=4))
def test_an_outlets_duplicate_article_creates_no_claim(picks, which):
    docs = _docs(picks)
    article_id, outlet, sentences = docs[which % len(docs)]
    before = ClaimAligner().fit(docs).claims_
    after = ClaimAligner().fit([*docs, (99, outlet, list(sentences))]).claims_
    assert len(after) == len(before)
    assert [c.outlets for c in after] == [c.outlets for c in before]
    without_copy = [frozenset(k for k in keys if k[0] != 99) for keys in keyed(after)]
    assert without_copy == keyed(before)


@settings(max_examples=40, deadline=None)
@given(picks=EVENTS)
def test_claims_have_enough_outlets_and_flags_are_consistent(picks):
    docs = _docs(picks)
    claims = ClaimAligner().fit(docs).claims_
    outlets = [o for _a, o, _s in docs]
    flagged = omission_candidates(claims, outlets)
    for claim in claims:
        assert len(set(claim.outlets)) >= 2 and claim.outlets == tuple(
            sorted({s.outlet for s in claim.sentences})
        )
        for outlet in outlets:
            assert (claim in flagged[outlet]) == (outlet not in claim.outlets and len(claim.outlets) >= 2)


# --------------------------------------------------------------------------- benchmark smoke


def _bench(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_claims_ecb.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )


def test_bench_claims_ecb_runs_on_three_subtopics(tmp_path):
    require_ecbplus()
    out = tmp_path / "claims.json"
    proc = _bench("--limit", "3", "--json", str(out))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "| split | sub-topics | documents | targets | deleted claims | recall | FP rate |" in proc.stdout
    assert "| split | annotated pairs | strict P / R / F1" in proc.stdout
    result = json.loads(out.read_text())
    assert result["n_events"] == 3 and result["n_documents"] == result["all"]["targets"] > 9
    s = result["all"]
    assert s["deleted"] > 0 and 0.5 <= s["recall"] <= 1.0 and 0 <= s["new_fp_rate"] <= s["fp_rate"] <= 1
    assert s["gold_pairs"] > 0 and 0 < s["strict_precision"] <= 1 and s["gold_deleted"] > 0


def test_bench_claims_runs_on_import_rows_with_real_outlets(tmp_path):
    rows = []
    for n, (_article_id, outlet, sentences) in enumerate(EVENT + [(5, "ledger", EVENT[0][2][:2])]):
        rows.append(
            {
                "id": f"e1-{n}",
                "outlet": outlet,
                "title": sentences[0],
                "text": "\n".join(sentences[1:]),
                "event": "kafr-nabl",
                "published": "2026-05-12T10:00:00Z",
                "url": f"https://example.org/{n}",
            }
        )
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "claims.json"
    proc = _bench("--input", str(gold), "--json", str(out))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["n_events"] == 1 and result["all"]["targets"] == 4  # outlets, not articles
    assert result["all"]["deleted"] >= 2 and result["all"]["recall"] == 1.0
    assert "annotated pairs" not in proc.stdout


def test_bench_claims_says_where_the_input_should_be(tmp_path):
    proc = _bench("--input", str(tmp_path / "missing.jsonl"))
    assert proc.returncode == 2 and "not found. Fix:" in proc.stderr
