"""Hypothesis strategies for words, DFAs, Turing machines and SUBLEQ programs.

Importable by users for their own property tests::

    from hypothesis import given
    from languages import zoo
    from languages.strategies import members, words

    @given(members(zoo.get("dyck1"), max_length=12))
    def test_balanced(word):
        assert word.count("(") == word.count(")")

Every strategy is a plural-noun function whose bounds are keyword-only and
validated when the function is called, before anything is drawn (a bad bound
raises `LengthError`, a bad alphabet `WordError`, a language without words in
the length range `NoWordsError`). Values are built valid by construction (never
filtered), so no strategy ever fails a health check for rejecting too much.
Each docstring says how its examples shrink.
"""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import strategies as st

from languages import subleq
from languages.dfa import DFA
from languages.errors import DFAError, LengthError, NoWordsError, ProgramError
from languages.language import Language, check_alphabet, check_int
from languages.turing import HALT, STATE_NAMES, Transition, TuringMachine

MAX_WORD_LENGTH = 10_000  # longer bounds are absurd for property tests
MAX_DFA_STATES = 1_000
_SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
_SYMBOL_BY_SYMBOL = 4096  # the longest word `words` draws symbol by symbol


def words(alphabet: str, *, min_length: int = 0, max_length: int = 20) -> st.SearchStrategy[str]:
    """Words over `alphabet` with a length in [min_length, max_length].

    Up to 4096 symbols, hypothesis draws a word symbol by symbol; it shrinks
    towards shorter words, then towards words made of ``alphabet[0]``. A
    longer length (hypothesis's choices hold about 8 KB) comes with a seed:
    seed s > 0 gives a uniform word from numpy, seed 0 the word of
    ``alphabet[0]`` alone, which is what such words shrink towards.

    Raises:
        WordError: `alphabet` is not a non-empty string of distinct characters.
        LengthError: a bound is negative, absurd, or min_length > max_length.
    """
    alphabet = check_alphabet(alphabet)
    min_length, max_length = _length_bounds(None, min_length, max_length)
    if max_length <= _SYMBOL_BY_SYMBOL:
        return st.text(alphabet=st.sampled_from(alphabet), min_size=min_length,
                       max_size=max_length)

    @st.composite
    def long_words(draw) -> str:
        n = draw(st.integers(min_length, max_length))
        if n <= _SYMBOL_BY_SYMBOL:
            return draw(st.text(alphabet=st.sampled_from(alphabet), min_size=n, max_size=n))
        seed = draw(_SEEDS)
        if seed == 0:
            return alphabet[0] * n
        indices = np.random.default_rng(seed).integers(0, len(alphabet), n)
        return "".join(np.array(list(alphabet))[indices])

    return long_words()


def members(language: Language | str, *, length: int | None = None, min_length: int = 0,
            max_length: int = 20) -> st.SearchStrategy[str]:
    """Members of `language` (a `Language` or a zoo name), drawn by its exact sampler.

    A length n is drawn in [min_length, max_length] (or is exactly `length`)
    and moved to the nearest length with members (the first one >= n, else the
    last one below), then a seed; seed s > 0 draws one word uniformly from the
    members of length n with ``language.sample(n, 1, seed=s)`` (so examples
    replay and the distribution is the sampler's), and seed 0 gives the first
    member of length n in the alphabet's order (for the zoo's languages and
    any regular language; for other `Language` subclasses, the sampler's word
    for seed 0 unless the word of ``alphabet[0]`` alone is a member).

    Shrinks towards the shortest length with members, then towards that first
    member: a failing member of `dyck1` of depth at least 3 shrinks to
    ``((()))``.

    Cost per example: the sampler's cost of one word plus a millisecond or
    two of hypothesis. On a 2-core VM, one word of length 10000 costs about
    5 ms for `dyck1`, `dyck2` and `shuffle_dyck2`, 3 to 4 ms for `parity` and
    `tomita3`, under 1 ms for `majority` and `anbn`; of length 1000, under
    1 ms; of length 100, under 0.3 ms. A regular language's first example
    also computes its tables up to the length drawn (20 to 40 ms for 10000),
    once. So for the zoo's languages the first ten examples stay far below
    the one second of hypothesis's too_slow health check at every length up to
    MAX_WORD_LENGTH. A regular language of many states costs more: its step
    probabilities are kept while they hold at most 2^22 numbers (up to about
    200 states for length 10000), else recomputed for every word (over a
    second at length 10000 for 1000 states).

    Raises:
        LengthError: a bound is negative, absurd, or min_length > max_length.
        NoWordsError: the language has no members at any length in the range.
    """
    return _labelled(language, "member", length, min_length, max_length)


def nonmembers(language: Language | str, *, length: int | None = None, min_length: int = 0,
               max_length: int = 20) -> st.SearchStrategy[str]:
    """Non-members of `language` over its alphabet; otherwise exactly like `members`.

    Seed 0 gives the first non-member of the length in the alphabet's order
    (for the zoo's languages and any regular language), so examples shrink
    towards it, often the word of ``alphabet[0]`` alone.
    """
    return _labelled(language, "nonmember", length, min_length, max_length)


def dfas(*, alphabet: str = "01", min_states: int = 1,
         max_states: int = 5) -> st.SearchStrategy[DFA]:
    """Complete DFAs over `alphabet` with states 0 .. n-1, start state 0.

    The number of states n is drawn in [min_states, max_states], then every
    transition ``transitions[q][i]`` independently in [0, n), then the accepting
    set (any subset). Not necessarily minimal or all reachable.

    Shrinks towards fewer states, transitions into state 0, and no accepting
    states (the empty language).

    Raises:
        DFAError: `alphabet` is not a non-empty string of distinct characters.
        LengthError: a bound is out of [1, 1000] or min_states > max_states.
    """
    alphabet = check_alphabet(alphabet, DFAError)
    min_states = check_int("min_states", min_states, 1, MAX_DFA_STATES)
    max_states = check_int("max_states", max_states, min_states, MAX_DFA_STATES)

    @st.composite
    def build(draw) -> DFA:
        n = draw(st.integers(min_states, max_states))
        rows = tuple(tuple(draw(st.integers(0, n - 1)) for _ in alphabet) for _ in range(n))
        accepting = draw(st.frozensets(st.integers(0, n - 1), max_size=n))
        return DFA(alphabet=alphabet, transitions=rows, start=0, accepting=accepting)

    return build()


def turing_machines(*, min_states: int = 1, max_states: int = 4, min_symbols: int = 2,
                    max_symbols: int = 3, min_halting: int = 1,
                    allow_undefined: bool = False) -> st.SearchStrategy[TuringMachine]:
    """Turing machines with states 'A', 'B', ... and symbols '0', '1', ... (blank '0').

    Every table is complete: each (state, symbol) pair gets a transition (write
    a symbol, move L or R, enter a state or HALT), or with `allow_undefined`
    possibly None (``---``). At least `min_halting` transitions, at places drawn
    by hypothesis, go into HALT, so that many machines halt; the others may or
    may not (run them with a step limit). Every such machine has a bbchallenge
    code (at most 10 symbols).

    Shrinks towards fewer states and symbols, then towards transitions that
    write '0', move R and enter HALT (with `allow_undefined`: towards ``---``).

    Raises:
        LengthError: bounds outside [1, 25] states, [1, 10] symbols, min above
            max, or `min_halting` above the number of transitions of the
            smallest machine.
    """
    min_states = check_int("min_states", min_states, 1, len(STATE_NAMES))
    max_states = check_int("max_states", max_states, min_states, len(STATE_NAMES))
    min_symbols = check_int("min_symbols", min_symbols, 1, 10)
    max_symbols = check_int("max_symbols", max_symbols, min_symbols, 10)
    min_halting = check_int("min_halting", min_halting, 0, min_states * min_symbols)
    if not isinstance(allow_undefined, bool):
        raise LengthError(f"allow_undefined must be True or False, got {allow_undefined!r}")

    @st.composite
    def build(draw) -> TuringMachine:
        n = draw(st.integers(min_states, max_states))
        k = draw(st.integers(min_symbols, max_symbols))
        states = tuple(STATE_NAMES[:n])
        symbols = tuple(str(i) for i in range(k))
        pairs = [(q, s) for q in states for s in symbols]
        halting = draw(st.sets(st.integers(0, len(pairs) - 1), min_size=min_halting,
                               max_size=min_halting))
        delta = {}
        for i, pair in enumerate(pairs):
            if allow_undefined and i not in halting and draw(st.booleans()) is False:
                delta[pair] = None
                continue
            write = draw(st.sampled_from(symbols))
            move = draw(st.sampled_from("RL"))
            following = HALT if i in halting else draw(st.sampled_from((HALT, *states)))
            delta[pair] = Transition(write, move, following)
        return TuringMachine(states=states, symbols=symbols, delta=delta)

    return build()


def subleq_programs(*, semantics: str, min_instructions: int = 1, max_instructions: int = 8,
                    max_memory: int = 8, bits: int | None = 8,
                    ) -> st.SearchStrategy[subleq.EsolangProgram | subleq.GiannouProgram]:
    """SUBLEQ programs that never address a word outside their memory.

    ``semantics="giannou"``: `GiannouProgram`s with K instructions in
    [min_instructions, max_instructions], M data words in [1, max_memory] and
    `bits`-bit words (required): 0 <= a, b < M, 0 <= c <= K, words in range,
    all by construction.

    ``semantics="esolang"``: `EsolangProgram`s laid out as
    ``[Z Z start] [D data words] [K instructions]`` with D in [1, max_memory]:
    the first instruction (Z a data word, so Z - Z = 0) jumps over the data;
    every instruction is a subtraction ``a b c`` with a, b data addresses, an
    input ``-1 b c`` into a data word, or an output ``a -1 c`` of a data word;
    every jump c is the start of an instruction, -1 or the end of the memory
    (both halt). So what we guarantee: the code is never written (no
    self-modification), every address stays in range (no `AddressError`), and
    the program halts exactly by a jump to -1 or the end, or by falling through
    its last instruction. With `bits` set, every word (addresses included) fits
    in `bits` bits; with ``bits=None`` data words are drawn from [-2^15, 2^15).

    Run them with the same `bits` (``run(program, bits=bits, ...)`` for esolang).

    Shrinks towards one instruction and one data word, subtractions of word 0
    from word 0 (the esolang first data word), jumps to the first instruction,
    and data words 0. Most programs loop; run them with a step limit.

    Raises:
        ProgramError: an unknown semantics, or giannou without `bits`.
        LengthError: bounds out of range, or esolang addresses that do not fit
            in `bits`-bit words.
    """
    if semantics not in subleq.SEMANTICS:
        raise ProgramError(f"unknown SUBLEQ semantics {semantics!r}; expected esolang or giannou")
    min_instructions = check_int("min_instructions", min_instructions, 1, subleq.MAX_MEMORY)
    max_instructions = check_int("max_instructions", max_instructions, min_instructions,
                                 subleq.MAX_MEMORY)
    max_memory = check_int("max_memory", max_memory, 1, subleq.MAX_MEMORY)
    if bits is None and semantics == "giannou":
        raise ProgramError("giannou programs need a word width: pass bits=N")
    if bits is not None:
        bits = check_int("bits", bits, 2, subleq.MAX_BITS)
    low, high = subleq.word_range(16 if bits is None else bits)
    if semantics == "esolang" and 3 + max_memory + 3 * max_instructions > high:
        raise LengthError(f"esolang programs of up to {max_instructions} instructions and "
                          f"{max_memory} data words have addresses up to "
                          f"{3 + max_memory + 3 * max_instructions}, which do not fit in "
                          f"{bits}-bit words (at most {high})")
    words = st.integers(low, high)

    @st.composite
    def giannou(draw) -> subleq.GiannouProgram:
        k = draw(st.integers(min_instructions, max_instructions))
        m = draw(st.integers(1, max_memory))
        address, target = st.integers(0, m - 1), st.integers(0, k)
        triples = tuple((draw(address), draw(address), draw(target)) for _ in range(k))
        memory = tuple(draw(words) for _ in range(m))
        return subleq.GiannouProgram(instructions=triples, memory=memory, bits=bits)

    @st.composite
    def esolang(draw) -> subleq.EsolangProgram:
        k = draw(st.integers(min_instructions, max_instructions))
        d = draw(st.integers(1, max_memory))
        start, size = 3 + d, 3 + d + 3 * k
        data = st.integers(3, 3 + d - 1)
        jumps = st.sampled_from([start + 3 * j for j in range(k)] + [-1, size])
        code = [draw(data), 0, start]
        code[1] = code[0]
        code += [draw(words) for _ in range(d)]
        for _ in range(k):
            kind = draw(st.sampled_from(("subtract", "input", "output")))
            a = -1 if kind == "input" else draw(data)
            b = -1 if kind == "output" else draw(data)
            code += [a, b, draw(jumps)]
        return subleq.EsolangProgram(memory=tuple(code))

    return giannou() if semantics == "giannou" else esolang()


# ---- helpers ---------------------------------------------------------------------------


def _length_bounds(length, min_length, max_length) -> tuple[int, int]:
    if length is not None:
        length = check_int("length", length, 0, MAX_WORD_LENGTH)
        return length, length
    min_length = check_int("min_length", min_length, 0, MAX_WORD_LENGTH)
    max_length = check_int("max_length", max_length, min_length, MAX_WORD_LENGTH)
    return min_length, max_length


def _labelled(language, label: str, length, min_length, max_length) -> st.SearchStrategy[str]:
    if isinstance(language, str):
        from languages import zoo

        language = zoo.get(language)
    if not isinstance(language, Language):
        raise NoWordsError(f"members and nonmembers need a Language or a zoo name, "
                           f"got {language!r}")
    low, high = _length_bounds(length, min_length, max_length)
    available = functools.lru_cache(maxsize=None)(
        language.has_members if label == "member" else language.has_nonmembers)
    if not any(available(n) for n in range(low, high + 1)):  # stops at the first length found
        plural = "members" if label == "member" else "non-members"
        raise NoWordsError(f"{language.name} has no {plural} of any length in [{low}, {high}]")

    def nearest(n: int) -> int:
        """The first length >= n with words, else the last one below n."""
        for m in range(n, high + 1):
            if available(m):
                return m
        return next(m for m in range(n - 1, low - 1, -1) if available(m))

    @st.composite
    def draw_word(draw) -> str:
        n = nearest(draw(st.integers(low, high)))
        seed = draw(_SEEDS)
        first = language._first_indices(n, label) if seed == 0 else None
        if first is not None:
            return language.decode(first[None, :])[0]
        return language.sample(n, 1, label, seed=seed)[0]

    return draw_word()
