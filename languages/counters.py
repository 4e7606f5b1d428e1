"""Counting languages that are not regular: MAJORITY and aⁿbⁿ.

MAJORITY (alphabet ``01``): strictly more 1s than 0s. A word of length n with
k ones is a member iff 2k > n; there are ``sum_{2k > n} C(n, k)`` members. A
uniform member (non-member) is drawn by choosing k with probability
proportional to ``C(n, k)`` among the member (non-member) values of k, then
placing the k ones uniformly (one position at a time, each a one with
probability ones-left / positions-left).

aⁿbⁿ (alphabet ``ab``): ``a^m b^m`` for m >= 0, one member of each even
length and none of odd length; non-members are drawn by rejection from
uniform words (at least three in four words of any length >= 1 are
non-members).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from languages.language import (
    Language,
    check_length,
    choose,
    enumerate_by_prefix,
    log_factorials,
    place_ones,
)


@dataclass(frozen=True, kw_only=True, eq=False)
class Majority(Language):
    """Words over ``01`` with strictly more 1s than 0s."""

    name: str = "majority"
    alphabet: str = "01"
    description: str = "strictly more 1s than 0s"

    def contains(self, word: str) -> bool:
        if any(s not in "01" for s in word):
            return False
        return word.count("1") > word.count("0")

    def count(self, length: int) -> int:
        length = check_length(length)
        return sum(math.comb(length, k) for k in range(length // 2 + 1, length + 1))

    def has_members(self, length: int) -> bool:
        length = check_length(length)
        return length >= 1

    def has_nonmembers(self, length: int) -> bool:
        length = check_length(length)
        return True

    def _ones(self, length: int, count: int, rng, member: bool) -> np.ndarray:
        ks = np.arange(length + 1)
        wanted = 2 * ks > length if member else 2 * ks <= length
        logs = log_factorials(length)
        weights = np.where(wanted, logs[length] - logs - logs[::-1], -np.inf)
        return choose(rng, weights, count)

    def _sample_members(self, length, count, rng):
        return place_ones(rng, self._ones(length, count, rng, True), length)

    def _sample_nonmembers(self, length, count, rng):
        return place_ones(rng, self._ones(length, count, rng, False), length)

    def _contains_indices(self, indices):
        indices = np.asarray(indices)
        return 2 * indices.sum(axis=1, dtype=np.int64) > indices.shape[1]

    def _first_indices(self, length, label):
        if label == "nonmember":
            return np.zeros(length, np.uint8)  # no 1s at all
        ones = length // 2 + 1  # the fewest that win, as late as possible
        return (np.arange(length) >= length - ones).astype(np.uint8) if length else None

    def _enumerate_members(self, length):
        def step(difference, symbol):
            return difference + (1 if symbol == 1 else -1)

        def completable(difference, r):
            return difference + r > 0

        return enumerate_by_prefix(length, 2, 0, step, completable)


@dataclass(frozen=True, kw_only=True, eq=False)
class AnBn(Language):
    """``a^m b^m`` for m >= 0."""

    name: str = "anbn"
    alphabet: str = "ab"
    description: str = "a^n b^n, n >= 0"

    def contains(self, word: str) -> bool:
        half = len(word) // 2
        return len(word) % 2 == 0 and word == "a" * half + "b" * half

    def count(self, length: int) -> int:
        length = check_length(length)
        return int(length % 2 == 0)

    def has_nonmembers(self, length: int) -> bool:
        length = check_length(length)
        return length > 0

    def _sample_members(self, length, count, rng):
        word = np.repeat(np.array([0, 1], np.uint8), length // 2)
        return np.tile(word, (count, 1))

    def _contains_indices(self, indices):
        indices = np.asarray(indices)
        length = indices.shape[1]
        if length % 2:
            return np.zeros(len(indices), bool)
        word = np.repeat(np.array([0, 1], np.uint8), length // 2)
        return (indices == word).all(axis=1)

    def _enumerate_members(self, length):
        return np.repeat(np.array([0, 1], np.uint8), length // 2)[None, :]

    def _first_indices(self, length, label):
        if label == "member":
            return self._enumerate_members(length)[0] if length % 2 == 0 else None
        return super()._first_indices(length, label)
