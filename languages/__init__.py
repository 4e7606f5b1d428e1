"""Formal languages and reference machines (numpy only).

Imports nothing from `circuitx` or `compilers`.
"""
