"""``cuda`` target strings → TVM dicts plus the list of architectures to build SASS for."""

import pytest

from paddlec.compiler.target import DEFAULT_CUDA_ARCHS, parse_target
from paddlec.errors import TargetError


def test_plain_cuda_uses_the_documented_default_architectures():
    resolved = parse_target("cuda")
    assert resolved.cuda_archs == list(DEFAULT_CUDA_ARCHS)
    assert resolved.config == {"kind": "cuda", "arch": DEFAULT_CUDA_ARCHS[0]}
    assert resolved.device == "cuda"
    assert resolved.host == {"kind": "llvm"}


@pytest.mark.parametrize("text, archs", [
    ("cuda -arch=sm_80", ["sm_80"]),
    ("cuda -arch=sm_80,sm_86,sm_89,sm_90", ["sm_80", "sm_86", "sm_89", "sm_90"]),
    ("cuda -arch=sm_90,sm_80,sm_90", ["sm_80", "sm_90"]),  # sorted, deduplicated
    ("cuda -arch=compute_120,sm_75", ["sm_75", "sm_120"]),
])
def test_arch_lists_are_sorted_and_tvm_schedules_for_the_oldest(text, archs):
    resolved = parse_target(text)
    assert resolved.cuda_archs == archs
    assert resolved.config["arch"] == archs[0]
    tvm_target = resolved.to_tvm()
    assert tvm_target.kind.name == "cuda"
    assert str(tvm_target.attrs["arch"]) == archs[0]
    assert resolved.to_json()["cuda_archs"] == archs


def test_host_string_is_parsed_too():
    resolved = parse_target("cuda -arch=sm_80", host="llvm -mcpu=skylake-avx512")
    assert resolved.host["mcpu"] == "skylake-avx512"
    assert resolved.to_tvm().host.kind.name == "llvm"


@pytest.mark.parametrize("text, fragment", [
    ("cuda -arch=sm_52", "too old"),
    ("cuda -arch=sm_70,sm_80", "too old"),
    ("cuda -arch=80", "bad CUDA architecture"),
    ("cuda -arch=sm_x", "bad CUDA architecture"),
    ("cuda -arch=", "at least one"),
    ("cuda -gpu=a100", "unknown option -gpu"),
])
def test_bad_cuda_targets_are_typed_errors(text, fragment):
    with pytest.raises(TargetError, match=fragment):
        parse_target(text)
