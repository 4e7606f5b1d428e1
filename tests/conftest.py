"""Test-wide settings: hypothesis profiles, registered in one place.

`ci` (the default under CI=true) is derandomised and bounded so that CI runs
are reproducible; `dev` draws more examples; select with
`--hypothesis-profile=dev` or HYPOTHESIS_PROFILE.
"""

import os

import torch
from hypothesis import HealthCheck, settings

# One torch thread per test process: the tests' tensors are small, and two
# threads on a busy two-core machine (CI, or pytest -n 2) wait on each other.
torch.set_num_threads(1)

settings.register_profile(
    "ci",
    max_examples=40,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
