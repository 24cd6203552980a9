"""The paraphrase set (bench/paraphrases/): its size and split, its schema, a judge that can say no, and a CI-size run
of bench/bench_paraphrases.py."""

import json
import re
import sys
from collections import Counter
from difflib import SequenceMatcher
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from fashion_ai.catalog import CatalogItem
from fashion_ai.config import PROJECT_ROOT
from fashion_ai.conversation.wish import Wish

sys.path.insert(0, str(PROJECT_ROOT / "bench"))

import bench_paraphrases  # noqa: E402
import paraphrase_set  # noqa: E402
from paraphrase_judge import Meant, judge_turn, next_meant, wish_state  # noqa: E402
from paraphrase_set import STRATA, Expect, ParaphraseSet, load_set, split_set  # noqa: E402

# Every edit issue 34 lists, and the bad inputs it names.
ISSUE_INTENTS = ("want", "refuse", "max_price", "total_budget", "cheaper", "pricier", "more_formal", "less_formal",
                 "show_category", "swap", "like", "reject", "start_over", "undo", "photo_question", "compound",
                 "contradiction", "emoji_only", "other_language")


@pytest.fixture(scope="module")
def halves() -> dict:
    return {split: load_set(split) for split in ("dev", "test")}


def _judged(data: dict) -> list[dict]:
    return data["singles"] + [turn for c in data["conversations"] for turn in c["turns"]]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def test_the_set_has_the_size_the_issue_asks(halves):
    both = {part: halves["dev"][part] + halves["test"][part] for part in STRATA}
    assert len(both["singles"]) >= 150
    assert len(both["conversations"]) >= 30 and all(3 <= len(c["turns"]) <= 6 for c in both["conversations"])
    assert len(both["stylist"]) >= 40
    counts = {intent: sum(t["intent"] == intent for half in halves.values() for t in _judged(half))
              for intent in ISSUE_INTENTS}
    assert min(counts.values()) >= 5, counts


def test_dev_and_test_share_no_utterance(halves):
    dev, test = ({_norm(t["say"]) for t in _judged(halves[s])} for s in ("dev", "test"))
    assert not dev & test
    prompts = [{_norm(r["prompt"]) for r in halves[s]["stylist"]} for s in ("dev", "test")]
    assert not prompts[0] & prompts[1]
    ids = [{e["id"] for part in STRATA for e in halves[s][part]} for s in ("dev", "test")]
    assert not ids[0] & ids[1]


def test_the_halves_are_the_seeded_stratified_split(halves):
    for part, stratum in STRATA.items():
        dev, test = split_set(halves["dev"][part] + halves["test"][part], stratum)
        assert (dev, test) == (halves["dev"][part], halves["test"][part]), part
        assert abs(len(dev) - len(test)) <= 1
        for key in {e[stratum] for e in dev + test}:  # each stratum halved, not dealt to one side
            assert abs(sum(e[stratum] == key for e in dev) - sum(e[stratum] == key for e in test)) <= 1, key
    assert "READ ONCE" in halves["test"]["about"] and halves["test"]["split"]["name"] == "test"


@pytest.mark.parametrize("expect", [
    {"refused": {"colour": ["pink"]}},  # the wish's field is "colors"
    {"refuse": {"colors": ["pink"]}},  # no such key: it would be judged as nothing asked
    {"refused": {"colors": ["teal"]}},  # not a schema colour
    {"swap": "shoe"},  # slots are named "shoes"
    {"category": ["shoes"]},  # the category is "shoe"
    {"colour": ["navy", "teal"]},
])
def test_a_misspelt_expectation_is_refused(expect):
    with pytest.raises(ValidationError):
        Expect.model_validate(expect)


@pytest.mark.parametrize("split", ["test", "fresh", "fresh2", "fresh3"])
def test_a_held_out_split_is_not_read_without_final(split, monkeypatch, capsys):
    def read_past_the_guard(name):  # were the guard gone, the set would be played here: fail before that
        raise AssertionError(f"{name} was loaded without --final")

    monkeypatch.setattr(paraphrase_set, "load_set", read_past_the_guard)
    with pytest.raises(SystemExit) as stopped:
        bench_paraphrases.main(["--split", split])
    assert stopped.value.code != 0 and "--final" in capsys.readouterr().err


def _utterances(data: dict) -> set[str]:
    """Every message and stylist request of a set, context openings included, normalised."""
    turns = _judged(data) + [turn for opening in data["contexts"].values() for turn in opening]
    return {_norm(t["say"]) for t in turns} | {_norm(r["prompt"]) for r in data["stylist"]}


def _held_out(name: str) -> dict:
    """A held-out set by its name, schema-checked by ParaphraseSet on loading."""
    return load_set(name)


# Each held-out set, its least size (singles, per issue intent, conversations, stylist requests), and the sets
# written before it, none of whose utterances it may repeat.
HELD_OUT_SETS = {"fresh": ((150, 6, 20, 24), ()), "fresh2": ((170, 6, 24, 27), ("fresh",)),
                 "fresh3": ((170, 6, 24, 27), ("fresh", "fresh2"))}


@pytest.mark.parametrize("name", sorted(HELD_OUT_SETS))
def test_a_held_out_set_is_held_out_and_has_the_size_asked(name, halves):
    (singles, per_intent, conversations, requests), before = HELD_OUT_SETS[name]
    held = _held_out(name)
    assert held["split"]["name"] == name and "READ ONCE" in held["about"] and f"--split {name} --final" in held["about"]
    assert len(held["singles"]) >= singles
    intents = Counter(t["intent"] for t in held["singles"])
    assert min(intents[intent] for intent in ISSUE_INTENTS) >= per_intent, intents
    assert len(held["conversations"]) >= conversations
    assert all(3 <= len(c["turns"]) <= 6 and c["turns"][0]["intent"] == "open" for c in held["conversations"])
    assert len(held["stylist"]) >= requests
    for part, stratum in STRATA.items():  # every kind and need dev and test have, and no other
        assert {e[stratum] for e in held[part]} == {e[stratum] for h in halves.values() for e in h[part]}, part
    said = [_norm(t["say"]) for t in _judged(held)]
    assert len(said) == len(set(said))
    earlier = set().union(*(_utterances(h) for h in halves.values()), *(_utterances(_held_out(b)) for b in before))
    assert not _utterances(held) & earlier


@pytest.mark.parametrize("name", ["fresh2", "fresh3"])
def test_a_later_held_out_set_has_eight_of_each_edit_and_says_its_counts(name):
    held = _held_out(name)
    intents = Counter(t["intent"] for t in held["singles"])
    edits = ("want", "refuse", "max_price", "cheaper", "pricier", "swap", "like", "reject", "start_over", "undo",
             "more_formal", "less_formal", "show_category", "compound")
    assert min(intents[intent] for intent in edits) >= 8, intents
    assert held["split"]["counts"] == {part: len(held[part]) for part in STRATA}


def test_the_fresh3_set_has_the_refusals_and_wishes_asked_and_was_written_after_fresh2():
    fresh3 = _held_out("fresh3")
    intents = Counter(t["intent"] for t in fresh3["singles"])
    assert intents["refuse"] >= 20 and intents["want"] >= 15, intents
    assert fresh3["split"]["after"] == "the read of fresh2.json"
    assert Counter(c["kind"] for c in fresh3["conversations"]) == {kind: 4 for kind in
                                                                   {c["kind"] for c in fresh3["conversations"]}}


def test_the_fresh3_set_rewords_rather_than_copies_the_sets_before_it(halves):
    earlier = set().union(*(_utterances(h) for h in halves.values()), *(_utterances(_held_out(b)) for b in ("fresh", "fresh2")))
    near = [(said, old) for said in _utterances(_held_out("fresh3")) for old in earlier
            if SequenceMatcher(None, said, old).quick_ratio() >= 0.8 and SequenceMatcher(None, said, old).ratio() >= 0.8]
    assert not near, near


def _item(item_id: str, category: str, colors: list[str], price: float, pattern: str = "solid") -> CatalogItem:
    return CatalogItem(id=item_id, title=f"{colors[0]} {category}", caption="", category=category, gender="women",
                       colors=colors, pattern=pattern, season="summer", price=price, url="", image_path="")


def _turn(expect: dict, wish: Wish, picks: list[CatalogItem], before: Wish | None = None,
          wishes: list[dict] | None = None, meants: list[Meant] | None = None):
    items = {it.id: it for it in picks}
    meants = meants or [Meant(mode=wish.mode)]
    meant = next_meant(meants, expect, before)
    result = SimpleNamespace(wish=wish, picks=[SimpleNamespace(id=it.id, slot=None, price=it.price) for it in picks],
                             verdict=[])
    return judge_turn(expect, meants, meant, result, before, wishes or [wish_state(Wish())], items, {})


def test_a_refusal_read_as_a_wish_is_a_failure_and_a_flip():
    pink = _item("a", "dress", ["pink"], 50)
    misread = Wish(mode="items", wanted={"colors": ["pink"]})
    failures, flips = _turn({"refused": {"colors": ["pink"]}}, misread, [pink])
    assert "refused colors lacks ['pink']" in failures
    assert flips == ["refused colors pink is wanted", "refused colors pink is in the picks"]
    read = Wish(mode="items", refused={"colors": ["pink"]})
    assert _turn({"refused": {"colors": ["pink"]}}, read, [_item("b", "dress", ["navy"], 50)]) == ([], [])


def test_what_was_meant_earlier_still_binds_the_picks():
    earlier = next_meant([Meant()], {"mode": "items", "category": ["dress"], "max_price": 60}, None)
    wish = Wish(mode="items", wanted={"category": ["dress"]}, max_price=60)
    failures, _ = _turn({}, wish, [_item("a", "dress", ["red"], 75), _item("b", "bag", ["red"], 20)],
                        meants=[Meant(), earlier])
    assert "over $60 each" in failures and "red bag is not ['dress']" in failures


def test_undo_and_unchanged_compare_the_wish_with_the_ones_before():
    first, second = Wish(mode="outfit"), Wish(mode="outfit", refused={"colors": ["pink"]})
    history = [wish_state(Wish()), wish_state(first), wish_state(second)]
    navy = [_item("a", "dress", ["navy"], 50)]
    assert _turn({"undo": True}, Wish(mode="outfit"), navy, wishes=history)[0] == []
    failures, _ = _turn({"undo": True}, second, navy, wishes=history)
    assert failures and failures[0].startswith("not undone")
    failures, _ = _turn({"unchanged": True}, Wish(mode="outfit", words="🤔"), navy, wishes=history)
    assert failures and failures[0].startswith("the wish changed")


@pytest.mark.slow
def test_a_ci_size_run_honours_a_right_expectation_and_fails_a_wrong_one(tmp_path, capsys):
    office = [{"say": "an outfit for the office", "expect": {"mode": "outfit"}}]
    small = {
        "about": "CI: one right and two deliberately wrong expectations", "split": {"name": "ci"},
        "contexts": {"office": office},
        "singles": [
            {"id": "right", "intent": "refuse", "context": "office", "say": "no pink",
             "expect": {"refused": {"colors": ["pink"]}}},
            {"id": "wrong", "intent": "want", "context": "office", "say": "no pink",  # the polarity turned round
             "expect": {"wanted": {"colors": ["pink"]}, "colour": "pink"}},
        ],
        "conversations": [{"id": "c", "kind": "budget", "name": "a cap misread on purpose", "turns": [
            {"intent": "open", "say": "show me shirts", "expect": {"mode": "items", "category": ["shirt"]}},
            {"intent": "max_price", "say": "under $60 each", "expect": {"max_price": 45}},
            {"intent": "refuse", "say": "no red", "expect": {"refused": {"colors": ["red"]}}},
        ]}],
        "stylist": [{"id": "t1", "need": "any", "garment": None, "prompt": "an outfit for the office", "accept": {}},
                    {"id": "t2", "need": "none", "garment": None, "prompt": "an outfit for the office",
                     "accept": {"category": ["umbrella"]}}],
    }
    ParaphraseSet.model_validate(small)
    path, out = tmp_path / "ci.json", tmp_path / "ci-report.json"
    path.write_text(json.dumps(small))
    assert bench_paraphrases.main(["--split", str(path), "--items", "80", "--threads", "1", "--no-cache",
                                   "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    turns = {(t["where"], t["say"]): t for t in report["turns"]}
    assert turns[("right", "no pink")]["failures"] == [] and turns[("right", "no pink")]["flips"] == []
    wrong = turns[("wrong", "no pink")]
    assert "wanted colors lacks ['pink']" in wrong["failures"] and "asked-for colors pink is refused" in wrong["flips"]
    assert any("max_price is 60.0, not 45" in f for f in turns[("c", "under $60 each")]["failures"])
    assert report["setup"] == {"turns": 1, "honoured": 1.0}
    assert [r["accepted"] for r in report["stylist_requests"]] == [1.0, 0.0]
    assert report["all"]["turns"] == 5 and report["all"]["honoured"] < 1.0 and report["all"]["flips"] >= 1
    assert "intent" in capsys.readouterr().out
