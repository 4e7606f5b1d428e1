"""The construction IR, the constructions from the papers, their backends and the CLI."""
