"""The words `runs.check` draws: balanced between members and non-members where the
construction knows its language, all words where there are few."""

from compilers.constructions import dyck, parity
from compilers.runs.check import recogniser_words
from languages.dyck import Dyck


def test_dyck_draws_members_of_its_bounded_language():
    recogniser = dyck.build(pairs=2, depth=2)
    words = recogniser_words(recogniser, 12, 40, seed=3)
    bounded = Dyck(name="d", alphabet="()[]", max_depth=2)  # the oracle, built apart
    members = sum(bounded.contains(w) for w in words)
    assert len(words) == 40 and members == 20


def test_few_words_are_all_checked():
    words = recogniser_words(parity.build(), 3, 100, seed=0)
    assert sorted(words) == sorted(format(k, "03b") for k in range(8))


def test_languages_without_an_oracle_draw_uniform_symbols():
    class Bare:
        alphabet = "ab"
        oracle = None

    words = recogniser_words(Bare(), 20, 10, seed=1)
    assert len(words) == 10 and all(len(w) == 20 and set(w) <= {"a", "b"} for w in words)
