"""The `Language` type: membership, exact counts, uniform sampling, enumeration.

A language is a set of words over an alphabet of single-character symbols.
Words are Python strings; in bulk they are numpy arrays of symbol indices
(`encode`: symbol ``alphabet[i]`` is index ``i``), which is what samplers
produce and what compilers consume.

Sampling (`sample`, `sample_indices`) is exact and vectorised:

* ``label="member"``: words drawn independently and uniformly from the members
  of the given length (up to float rounding of the sampler's probabilities);
* ``label="nonmember"``: uniformly from the non-members of that length;
* ``label="any"``: a balanced mix, ``ceil(count / 2)`` members and
  ``floor(count / 2)`` non-members in random order (all from one label when
  the other has no words of that length).

The same arguments and seed always give the same words. Asking for a label
that has no words of that length (members of `dyck1` of odd length,
non-members of `anbn` of length 0) raises `NoWordsError` at once, never loops.

Subclasses implement `contains`, `count` (the exact number of members),
`_sample_members` and, for speed, `_contains_indices`; non-members are drawn by
vectorised rejection from uniform words unless a subclass knows better.
`_first_indices` gives the first word of a length and label in the alphabet's
order (what hypothesis strategies shrink towards): the word of ``alphabet[0]``
alone when it has the label, else what a subclass knows, else None.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Iterable, Sequence

import numpy as np

from languages.errors import LengthError, NoWordsError, WordError

LABELS = ("member", "nonmember", "any")
MAX_LENGTH = 100_000  # longer words are "absurd" for sampling
MAX_COUNT = 100_000_000  # words per call
MAX_ENUMERATE = 1_000_000  # words that enumerate() will list
MAX_SYMBOLS = 1 << 31  # count * length of one sample call (2 GiB of uint8)
_BRUTE_FORCE = 1 << 22  # words that the generic enumerator will scan
_CHUNK = 1 << 16  # words per vectorised chunk


def check_int(name: str, value, low: int, high: int) -> int:
    """`value` as an int in [low, high], else `LengthError` naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise LengthError(f"{name} must be an integer between {low} and {high}, got {value!r}")
    if not low <= value <= high:
        raise LengthError(f"{name} must be between {low} and {high}, got {value}")
    return int(value)


def check_length(length) -> int:
    """`length` as an int in [0, MAX_LENGTH], else `LengthError` naming it."""
    return check_int("length", length, 0, MAX_LENGTH)


def check_label(label) -> str:
    if label not in LABELS:
        raise LengthError(f"unknown label {label!r}; expected member, nonmember or any")
    return label


def check_alphabet(alphabet, error=WordError) -> str:
    """A non-empty string of distinct single characters, else `error`."""
    if not isinstance(alphabet, str) or not alphabet:
        raise error(f"an alphabet is a non-empty string of symbols, got {alphabet!r}")
    repeated = sorted({s for s in alphabet if alphabet.count(s) > 1})
    if repeated:
        raise error(f"alphabet {alphabet!r} repeats the symbol {repeated[0]!r}")
    return alphabet


class Language(abc.ABC):
    """A set of words over `alphabet` (see the module docstring).

    Attributes (set by subclasses):
        name: the language's name (a zoo name for zoo languages).
        alphabet: its symbols, one character each, in index order.
        description: one line, for listings.
    """

    name: str
    alphabet: str
    description: str = ""

    # ---- what a subclass provides -------------------------------------------------

    @abc.abstractmethod
    def contains(self, word: str) -> bool:
        """Whether `word` is a member (False for words with foreign symbols)."""

    @abc.abstractmethod
    def count(self, length: int) -> int:
        """The exact number of members of length `length`."""

    @abc.abstractmethod
    def _sample_members(self, length: int, count: int, rng: np.random.Generator) -> np.ndarray:
        """`count` uniform members as a (count, length) uint8 array of indices."""

    def _contains_indices(self, indices: np.ndarray) -> np.ndarray:
        """Membership of each row of a (batch, length) index array (vectorise it!)."""
        return np.array([self.contains(w) for w in self.decode(indices)], dtype=bool)

    def _sample_nonmembers(self, length: int, count: int, rng: np.random.Generator) -> np.ndarray:
        """Uniform non-members, by vectorised rejection from uniform words.

        Fine when non-members are not rare (at least a few per thousand words);
        gives up with `NoWordsError` after 10^8 rejected words.
        """
        size = len(self.alphabet)
        kept: list[np.ndarray] = []
        have, share, drawn = 0, 0.5, 0
        while have < count:
            if drawn > 10**8:
                raise NoWordsError(f"non-members of {self.name} of length {length} are too "
                                   f"rare to sample by rejection")
            batch = min(int(1.2 * (count - have) / share) + 16, 1 << 22)
            words = uniform_words(rng, batch, length, size)
            words = words[~self._contains_indices(words)]
            drawn += batch
            share = max(len(words) / batch, 1e-3)
            kept.append(words[: count - have])
            have += len(kept[-1])
        return np.concatenate(kept)

    def _first_indices(self, length: int, label: str) -> np.ndarray | None:
        """The first word of `length` with `label` (member or nonmember) in index order.

        As a (length,) uint8 array, or None when there is none or it is not
        known. Here: the word of symbol 0 alone when it has the label (the
        first word of all), else None; subclasses that know better override.
        """
        zeros = np.zeros((1, length), np.uint8)
        if bool(self._contains_indices(zeros)[0]) == (label == "member"):
            return zeros[0]
        return None

    def _enumerate_members(self, length: int) -> np.ndarray:
        """Every member as rows of indices, in lexicographic (index) order."""
        size = len(self.alphabet)
        if size**length > _BRUTE_FORCE:
            raise LengthError(f"{self.name}: enumerating length {length} would scan "
                              f"{size**length} words; the limit is {_BRUTE_FORCE}")
        total = size**length
        found = []
        for start in range(0, total, _CHUNK):
            numbers = np.arange(start, min(start + _CHUNK, total), dtype=np.int64)
            digits = (numbers[:, None] // size ** np.arange(length - 1, -1, -1)) % size
            digits = digits.astype(np.uint8).reshape(len(numbers), length)
            found.append(digits[self._contains_indices(digits)])
        return np.concatenate(found) if found else np.zeros((0, length), np.uint8)

    # ---- the public API ----------------------------------------------------------

    def count_nonmembers(self, length: int) -> int:
        """The exact number of non-members of length `length`."""
        length = check_length(length)
        return len(self.alphabet) ** length - self.count(length)

    def has_members(self, length: int) -> bool:
        """Whether some word of length `length` is a member."""
        length = check_length(length)
        return self.count(length) > 0

    def has_nonmembers(self, length: int) -> bool:
        """Whether some word of length `length` is not a member."""
        length = check_length(length)
        return self.count_nonmembers(length) > 0

    def sample(self, length: int, count: int, label: str = "member",
               seed: int = 0) -> list[str]:
        """`count` words of length `length` with label `label` (see the module docstring).

        Raises:
            LengthError: a negative or absurd length or count (or count * length
                over MAX_SYMBOLS), an unknown label, a negative seed.
            NoWordsError: the label has no words of this length.
        """
        return self.decode(self.sample_indices(length, count, label, seed))

    def sample_indices(self, length: int, count: int, label: str = "member",
                       seed: int = 0) -> np.ndarray:
        """Like `sample`, as a (count, length) uint8 array of symbol indices."""
        length = check_int("length", length, 0, MAX_LENGTH)
        count = check_int("count", count, 0, MAX_COUNT)
        label = check_label(label)
        seed = check_int("seed", seed, 0, 2**63 - 1)
        if count * length > MAX_SYMBOLS:
            raise LengthError(f"{count} words of length {length} are {count * length} symbols; "
                              f"one sample holds at most {MAX_SYMBOLS}")
        rng = np.random.default_rng(seed)
        out = np.empty((count, length), np.uint8)
        if label != "any":
            self._draw(label, out, rng)
            return out
        members = (count + 1) // 2
        if not self.has_members(length):
            members = 0
        elif not self.has_nonmembers(length):
            members = count
        self._draw("member", out[:members], rng)
        self._draw("nonmember", out[members:], rng)
        return out[rng.permutation(count)]

    def _draw(self, label: str, out: np.ndarray, rng) -> None:
        """Fill the rows of `out` with uniform words of `label`, a chunk at a time."""
        count, length = out.shape
        if count == 0:
            return
        available = self.has_members if label == "member" else self.has_nonmembers
        if not available(length):
            plural = "members" if label == "member" else "non-members"
            raise NoWordsError(f"{self.name} has no {plural} of length {length}")
        if length == 0:
            return
        draw = self._sample_members if label == "member" else self._sample_nonmembers
        for start in range(0, count, _CHUNK):
            stop = min(start + _CHUNK, count)
            out[start:stop] = draw(length, stop - start, rng)

    def enumerate(self, length: int) -> list[str]:
        """Every member of length `length`, in lexicographic order of the alphabet.

        Raises:
            LengthError: a negative length, or more than a million members.
        """
        length = check_int("length", length, 0, MAX_LENGTH)
        total = self.count(length)
        if total > MAX_ENUMERATE:
            raise LengthError(f"{self.name} has {total} members of length {length}; "
                              f"enumerate lists at most {MAX_ENUMERATE}")
        if total == 0:
            return []
        if length == 0:
            return [""]
        return self.decode(self._enumerate_members(length))

    def encode(self, words: Iterable[str], dtype=np.int64) -> np.ndarray:
        """Words of one length as a (batch, length) array of symbol indices.

        Raises:
            WordError: a symbol outside the alphabet, or words of different lengths.
        """
        words = list(words)
        for word in words:
            if not isinstance(word, str):
                raise WordError(f"words are strings, got {word!r}")
        length = len(words[0]) if words else 0
        for word in words:
            if len(word) != length:
                raise WordError(f"encode needs words of one length; {word!r} has length "
                                f"{len(word)}, the first word {words[0]!r} has {length}")
        if self.alphabet.isascii() and all(w.isascii() for w in words):
            table = np.full(256, -1, dtype=np.int64)
            table[np.frombuffer(self.alphabet.encode(), np.uint8)] = np.arange(len(self.alphabet))
            raw = np.frombuffer("".join(words).encode(), np.uint8).reshape(len(words), length)
            out = table[raw]
        else:
            index = {s: i for i, s in enumerate(self.alphabet)}
            out = np.array([[index.get(s, -1) for s in w] for w in words],
                           dtype=np.int64).reshape(len(words), length)
        if (out < 0).any():
            row, col = (int(k) for k in np.argwhere(out < 0)[0])
            raise WordError(f"word {words[row]!r} has symbol {words[row][col]!r}, which is "
                            f"not in the alphabet {self.alphabet!r} of {self.name}")
        return out.astype(dtype, copy=False)

    def decode(self, indices: np.ndarray) -> list[str]:
        """The inverse of `encode`: rows of symbol indices back to strings."""
        indices = np.asarray(indices)
        if indices.ndim != 2:
            raise WordError(f"decode needs a (batch, length) array, got shape {indices.shape}")
        batch, length = indices.shape
        if length == 0:
            return [""] * batch
        symbols = np.array(list(self.alphabet))
        if self.alphabet.isascii() and "\0" not in self.alphabet:
            codes = np.ascontiguousarray(np.frombuffer(self.alphabet.encode(), np.uint8)[indices])
            return list(map(bytes.decode, codes.view(f"S{length}").ravel().tolist()))
        return ["".join(row) for row in symbols[indices]]

    def contains_many(self, words: Sequence[str]) -> np.ndarray:
        """Membership of many words of one length at once, vectorised (a bool array)."""
        return self._contains_indices(self.encode(words, dtype=np.uint8))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} over {self.alphabet!r}>"


_log_factorials = np.zeros(1)


def log_factorials(n: int) -> np.ndarray:
    """``log k!`` for k = 0 .. n, read-only.

    Computed once (with `math.lgamma`) up to the largest n asked, at least
    doubling when it grows, and sliced.
    """
    global _log_factorials
    if len(_log_factorials) <= n:
        top = max(n, 2 * (len(_log_factorials) - 1))
        table = np.array([math.lgamma(k + 1) for k in range(top + 1)])
        table.flags.writeable = False
        _log_factorials = table
    return _log_factorials[: n + 1]


def choose(rng: np.random.Generator, log_weights: Sequence[float], count: int) -> np.ndarray:
    """`count` indices drawn with probability proportional to exp(log_weights)."""
    logs = np.asarray(log_weights, dtype=np.float64)
    weights = np.exp(logs - logs.max())
    cumulative = np.cumsum(weights / weights.sum())
    picks = np.searchsorted(cumulative, rng.random(count), side="right")
    # rounding may leave the last cumulative just below 1: fall back to the last
    # index of positive weight, never to one of weight zero
    last = int(np.flatnonzero(weights > 0)[-1])
    return np.minimum(picks, last)


def place_ones(rng: np.random.Generator, ones: np.ndarray, length: int) -> np.ndarray:
    """Rows of `length` bits with ones[i] ones at uniformly random places (uint8).

    Each row's ones first, then every row shuffled on its own (`Generator.permuted`).
    """
    rows = (np.arange(length) < np.asarray(ones)[:, None]).astype(np.uint8)
    return rng.permuted(rows, axis=1)


def enumerate_by_prefix(length: int, symbols: int, start, step, completable) -> np.ndarray:
    """All words of `length` accepted by a prefix machine, in lexicographic order.

    `step(state, symbol)` gives the next state or None (dead); `completable(state,
    r)` says whether some r more symbols lead to acceptance (at r = 0: whether
    `state` accepts). Depth-first with an explicit stack, so any length works.
    """
    out: list[list[int]] = []
    if not completable(start, length):
        return np.zeros((0, length), np.uint8)
    prefix: list[int] = []
    stack = [(start, 0)]  # (state at this depth, next symbol to try)
    while stack:
        state, symbol = stack[-1]
        depth = len(stack) - 1
        if depth == length:
            out.append(list(prefix))
            symbol = symbols
        while symbol < symbols:
            following = step(state, symbol)
            if following is not None and completable(following, length - depth - 1):
                break
            symbol += 1
        if symbol == symbols:
            stack.pop()
            if prefix:
                prefix.pop()
            continue
        stack[-1] = (state, symbol + 1)
        prefix.append(symbol)
        stack.append((following, 0))
    return np.array(out, dtype=np.uint8).reshape(len(out), length)


def uniform_words(rng: np.random.Generator, count: int, length: int, size: int) -> np.ndarray:
    """`count` uniform words over `size` symbols, a (count, length) uint8 array."""
    if size & (size - 1) == 0 and size <= 256:  # a power of two: mask random bytes
        raw = rng.bit_generator.random_raw(-(-count * length // 8)).view(np.uint8)
        return (raw[: count * length] & np.uint8(size - 1)).reshape(count, length)
    return rng.integers(0, size, size=(count, length), dtype=np.uint8)
