"""The source of `lookups_step.FloatStep`'s whole step: one straight-line Python function.

`step_source` writes the step of a decoder on Python floats as one function,
every stream entry a local variable (``x0``, ``x1``, ...), so that a step
makes no list, dict or call per block, but one call per hard head (its
lookup, `lookups_step.FloatStep._hard_function`). Each value is formed as
`lookups_step` documents it, term by term in the order of the input
columns: a product ``0.0 + x_i w_i + ...`` (`_Affine`'s sums), then the bias;

* an MLP: ``h_o = s_o + b_o`` (or ``b_o`` where no term), ``h_o = 0.0 if h_o
  <= 0 else h_o`` (torch's relu: a NaN stays NaN), then ``x_o = (x_o + t_o) +
  b'_o`` over the columns ``W_out`` or ``b_out`` touch, ``t_o`` its product with
  h (0.0 where none);
* a constant-score head: its value products at the columns with terms, a
  running sum per column in ``S`` (None before the first position: the sum
  is then the value itself), divided by ``position + 1`` (by ``position``,
  the sum before this position, where strictly causal; 0.0 at the first);
* a hard head: ``H[k](q, position, key, values)`` (encoder heads:
  ``H[k](q, position)``), its query, key and value rows as `_Affine.full`
  and `_Affine.sparse` form them; it returns the chosen row of values;
* the block's outputs summed per column in head order, then added to the
  stream: ``x_o = x_o + d_o``.

Non-finite values: each block checks the columns it wrote (their sum, and
entry by entry only if the sum is not finite), and the embedded stream is
checked once (as the first block's): blocks only add to the stream, so a non-finite entry persists,
and the first block whose written columns hold one (the first, where the
embedding does) is the first whose stream does, which `bad(block)` names.
The function returns the read-out row (`_Affine.full` of the read-out).
"""

from __future__ import annotations

CHUNK = 48  # terms per Python expression (bounds the parser's depth)


def _term(name: str, w: float) -> str:
    """``+ name * w``; with w = 1 or -1 the product is exact (``+ name``, ``- name``: the
    same float, signed zeros, infinities and NaNs included)."""
    if w == 1.0:
        return f" + {name}"
    if w == -1.0:
        return f" - {name}"
    return f" + {name} * {w!r}"


def products(target: str, terms, source: str) -> list[str]:
    """Lines setting `target` to ``0.0 + s_i w_i + ...`` left to right, s_i the local
    ``{source}{i}`` (each term rounded and added in turn)."""
    parts = [_term(f"{source}{i}", w) for i, w in terms]
    lines = []
    for k in range(0, len(parts), CHUNK):
        start = "0.0" if k == 0 else target
        lines.append(f"{target} = {start}" + "".join(parts[k:k + CHUNK]))
    return lines or [f"{target} = 0.0"]


def affine(name: str, weights, source: str, columns, *, sparse: bool = False
           ) -> tuple[list[str], list[str]]:
    """Lines forming ``x M + b`` of `weights` (an `_Affine`) at `columns`, and their
    expressions: each the sum plus the bias, or where the column has no terms the bias
    (`_Affine.full`) or ``0.0 + bias`` (`sparse`: `_Affine.sparse`)."""
    has = {o for o, _ in weights.rows}
    alone = "0.0 + {!r}" if sparse else "{!r}"
    lines = [line for o, terms in weights.rows for line in products(f"{name}{o}", terms, source)]
    values = [f"{name}{o} + {weights.bias[o]!r}" if o in has else alone.format(weights.bias[o])
              for o in columns]
    return lines, values


def _check(block: int, columns) -> list[str]:
    """``bad(block)`` where a stream entry at `columns` is not finite: their sum first
    (one test; an overflow of finite entries is then looked at entry by entry)."""
    if not columns:
        return []
    names = [f"x{o}" for o in columns]
    total = (" + ".join(names) if len(names) <= CHUNK  # a long sum: flat, not nested
             else f"_sum(({', '.join(names)},))")
    return [f"if not _fin({total}) and not _all(_map(_fin, ({', '.join(names)},))):",
            f"    bad({block})"]


def _mlp(b: int, w_in, w_out) -> list[str]:
    lines = [line for o, terms in w_in.rows
             for line in products(f"m{b}s{o}", terms, "x")]
    has = {o for o, _ in w_in.rows}
    for o in range(w_in.outputs):
        value = f"m{b}s{o} + {w_in.bias[o]!r}" if o in has else repr(w_in.bias[o])
        lines += [f"m{b}h{o} = {value}", f"m{b}h{o} = 0.0 if m{b}h{o} <= 0 else m{b}h{o}"]
    out_has = {o for o, _ in w_out.rows}
    lines += [line for o, terms in w_out.rows for line in products(f"m{b}t{o}", terms, f"m{b}h")]
    for o in w_out.touched:
        total = f"m{b}t{o}" if o in out_has else "0.0"
        lines.append(f"x{o} = (x{o} + {total}) + {w_out.bias[o]!r}")
    return lines + _check(b, w_out.touched)


def _attention(b: int, heads, slots: dict, calls: dict) -> list[str]:
    """`heads`: (how, head, query, key, value) as `FloatStep` keeps them; `slots`: (head
    label, column) -> index in S; `calls`: head label -> index in H."""
    lines, written = [], []  # written: the delta's columns, in order of first touch
    for k, (how, head, query, key, value) in enumerate(heads):
        p = f"a{b}h{k}"
        outs = []  # (column, expression)
        if how == "sum":
            for o, terms in value.rows:
                s = slots[(head.label, o)]
                lines += products(f"{p}v{o}", terms, "x")
                lines += [f"{p}b{o} = S[{s}]",
                          f"{p}t{o} = {p}v{o} if {p}b{o} is None else {p}b{o} + {p}v{o}",
                          f"S[{s}] = {p}t{o}"]
                if head.mask == "strict_causal":
                    lines.append(f"{p}o{o} = 0.0 if {p}b{o} is None else {p}b{o} / position")
                else:
                    lines.append(f"{p}o{o} = {p}t{o} / (position + 1)")
                outs.append((o, f"{p}o{o}"))
        else:
            q_lines, q = affine(f"{p}q", query, "x", range(query.outputs))
            lines += q_lines
            if how == "self":
                k_lines, keys = affine(f"{p}k", key, "x", range(key.outputs))
                v_lines, values = affine(f"{p}w", value, "x", value.touched, sparse=True)
                lines += k_lines + v_lines
                lines.append(f"{p}r = H[{calls[head.label]}]([{', '.join(q)}], position, "
                             f"[{', '.join(keys)}], [{', '.join(values)}])")
            else:
                lines.append(f"{p}r = H[{calls[head.label]}]([{', '.join(q)}], position)")
            outs += [(o, f"{p}r[{i}]") for i, o in enumerate(value.touched)]
        for o, expression in outs:
            if o in written:
                lines.append(f"a{b}d{o} = a{b}d{o} + {expression}")
            else:
                written.append(o)
                lines.append(f"a{b}d{o} = {expression}")
    lines += [f"x{o} = x{o} + a{b}d{o}" for o in written]
    return lines + _check(b, written)


def step_source(blocks, readout, width: int, inputs: list[int], slots: dict, calls: dict
                ) -> str:
    """The step function's source (see the module docstring). `blocks`: ("mlp", w_in,
    w_out) or ("attention", heads) in order; `readout`: an `_Affine`; `inputs`: the stream
    columns of the input vector's entries. The stream is embedded as
    `TorchGenerator._embed` does: the positional row, the inputs in their columns."""
    lines = [f"{', '.join(f'x{c}' for c in range(width))}, = row"]
    if inputs:
        lines.append(f"{', '.join(f'x{c}' for c in inputs)}, = v")
    names = ", ".join(f"x{c}" for c in range(width))
    lines += ["if not (_fin(_sum(row)) and _fin(_sum(v))) and not _all(_map(_fin, "
              f"({names},))):", "    bad(0)"]  # the embedded stream: the first block's
    for b, (kind, *parts) in enumerate(blocks):
        lines += _mlp(b, *parts) if kind == "mlp" else _attention(b, parts[0], slots, calls)
    read_lines, read = affine("r", readout, "x", range(readout.outputs))
    lines += [*read_lines, f"return [{', '.join(read)}]"]
    return ("def step(row, v, position, S, H, bad, _fin=_isfinite, _sum=sum, _all=all,"
            " _map=map):\n"
            + "".join(f"    {line}\n" for line in lines))


__all__ = ["affine", "products", "step_source"]
