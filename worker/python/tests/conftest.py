import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from tiny_models import write_model  # noqa: E402

PYTHON_ROOT = Path(__file__).resolve().parents[1]
REPO = PYTHON_ROOT.parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory) -> Path:
    return write_model(tmp_path_factory.mktemp("models") / "tiny-llama")


@pytest.fixture(scope="session")
def model_factory(tmp_path_factory):
    made: dict[tuple, Path] = {}

    def make(model_type: str = "llama", **kwargs) -> Path:
        key = (model_type, tuple(sorted(kwargs.items())))
        if key not in made:
            made[key] = write_model(tmp_path_factory.mktemp("models") / model_type, model_type, **kwargs)
        return made[key]

    return make


def run_worker(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 600):
    """Runs ``python -m tuneforge_worker ARGS`` as a process: (exit code, events, stderr)."""
    full_env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(PYTHON_ROOT))
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "tuneforge_worker", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    return proc.returncode, events, proc.stderr
