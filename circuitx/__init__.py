"""Threshold circuits: build, evaluate, measure, export and verify.

Imports nothing from `compilers`; torch only inside the batched evaluator.
"""
