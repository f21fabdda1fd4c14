import subprocess
import sys

import modelinfra

PINNED = [
    "AbortedError", "Action", "ApplyError", "LockHeldError", "ModelinfraError", "Plan", "PlanError",
    "PreventDestroyError", "Problem", "ProviderError", "ResourceChange", "ResourceContext", "ResourceHandler",
    "Reporter", "RetryableError", "Settings", "SpecError", "StalePlanError", "StateError", "TerminalError",
    "__version__", "compile_spec",
]


def test_public_api_is_pinned():
    assert sorted(modelinfra.__all__) == sorted(PINNED)
    for name in PINNED:
        assert hasattr(modelinfra, name), name


def test_every_expected_failure_is_a_modelinfra_error_with_exit_code_one():
    for name in PINNED:
        obj = getattr(modelinfra, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, modelinfra.ModelinfraError) and obj.exit_code == 1


def test_importing_modelinfra_imports_no_cloud_sdk():
    probe = "import sys, modelinfra; print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3','botocore','azure')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
