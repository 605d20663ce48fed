import pytest

from paddlec.compiler.target import parse_target
from paddlec.errors import TargetError


@pytest.mark.parametrize(
    "text, expected",
    [
        ("llvm", {"kind": "llvm"}),
        ("llvm -mcpu=skylake-avx512", {"kind": "llvm", "mcpu": "skylake-avx512"}),
        ("llvm -mtriple=x86_64-linux-gnu -mcpu=znver3",
         {"kind": "llvm", "mtriple": "x86_64-linux-gnu", "mcpu": "znver3"}),
        ("llvm -mattr=+avx2,+fma -num-cores=4",
         {"kind": "llvm", "mattr": ["+avx2", "+fma"], "num-cores": 4}),
    ],
)
def test_parses_string_form_into_tvm_dict(text, expected):
    resolved = parse_target(text)
    for key, value in expected.items():
        assert resolved.config[key] == value
    assert resolved.device == "cpu"
    assert resolved.to_tvm().kind.name == "llvm"


@pytest.mark.parametrize("text", ["native", "llvm -mcpu=native"])
def test_native_resolves_to_this_cpu(text):
    from tvm.target import codegen

    resolved = parse_target(text)
    assert resolved.config["mcpu"] == str(codegen.llvm_get_system_cpu())
    assert resolved.to_json()["given"] == text


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("llvm -foo=1", "unknown option -foo"),
        ("llvm -num-cores=many", "takes an integer"),
        ("llvm -mcpu=not-a-cpu", "does not know the CPU"),
        ("vulkan", "unknown target kind"),
        ("llvm mcpu=x", "expected -key=value"),
        ("", "empty"),
    ],
)
def test_bad_target_strings_raise_typed_errors(text, fragment):
    with pytest.raises(TargetError, match=fragment):
        parse_target(text)
