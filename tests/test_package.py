"""Package-level promises: version, public API, README commands mirrored by CI."""

import re
import subprocess
import sys
from pathlib import Path

import skstc

ROOT = Path(__file__).resolve().parents[1]


def test_version_and_all():
    assert isinstance(skstc.__version__, str) and skstc.__version__
    for name in skstc.__all__:
        assert hasattr(skstc, name), name
    assert len(set(skstc.__all__)) == len(skstc.__all__)


def test_readme_has_two_setup_commands_run_verbatim_by_ci():
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.+?)\n```", setup, flags=re.S)
    assert len(commands) == 2
    assert all("torch==2.13.0" in c for c in commands)
    ci = (ROOT / ".ci" / "run").read_text()
    for command in commands:
        assert command.strip() in ci


def test_import_does_not_change_torch_threads():
    code = ("import torch; n = torch.get_num_threads(); import skstc, skstc.demo; "
            "import skstc._training; assert torch.get_num_threads() == n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_api_reference_lists_every_public_estimator():
    from pathlib import Path

    import skstc

    api = (Path(__file__).resolve().parents[1] / "docs" / "api.rst").read_text()
    listed = {line.strip() for line in api.splitlines()}
    missing = [name for name in skstc.__all__
               if name != "__version__" and f"skstc.{name}" not in listed]
    assert not missing, f"docs/api.rst does not list {missing}"
