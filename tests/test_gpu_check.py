"""benchmarks/gpu_check.py: exits cleanly without CUDA, passes on a GPU."""

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import gpu_check  # noqa: E402


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_gpu_check_without_cuda_says_so(capsys):
    assert gpu_check.main(["--device", "cuda"]) == 0
    assert "no CUDA device" in capsys.readouterr().out


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_check_quick_on_cuda(capsys):
    assert gpu_check.main(["--quick"]) == 0
    assert "all checks passed" in capsys.readouterr().out


@pytest.mark.slow
def test_gpu_check_quick_script_path_on_cpu(capsys):
    # the same checks (agreement, pickling, unpickling without a GPU) with the CPU as device
    assert gpu_check.main(["--device", "cpu", "--quick"]) == 0
    out = capsys.readouterr().out
    assert out.count("PASS") == 4 and "all checks passed" in out


@pytest.mark.slow
def test_gpu_check_bf16_branch_on_cpu(capsys):
    # the mixed-precision rows and the per-precision table, forced on the CPU
    with pytest.warns(UserWarning, match="precision='bf16' on the CPU"):
        assert gpu_check.main(["--device", "cpu", "--quick", "--bf16", "yes"]) == 0
    out = capsys.readouterr().out
    assert out.count("[fp32]") == 4 and out.count("[bf16]") == 4
    assert out.count("PASS") == 8 and "bf16/fp32" in out and "all checks passed" in out
