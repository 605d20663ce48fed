"""The fatbin reader against fatbins nvcc writes for known ``-gencode`` lists."""

import subprocess

import pytest

from paddlec.compiler.cuda.fatbin import MAGIC, list_fatbin_entries, summarize
from paddlec.compiler.cuda.nvcc import gencode_flags

KERNEL = r"""
extern "C" __global__ void axpy(float a, const float* x, float* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] += a * x[i];
}
"""


def _nvcc_fatbin(toolkit, tmp_path, archs):
    source = tmp_path / "k.cu"
    source.write_text(KERNEL)
    out = tmp_path / f"k_{'_'.join(archs)}.fatbin"
    subprocess.run([str(toolkit.nvcc), "--fatbin", *gencode_flags(archs), "-o", str(out),
                    str(source)], check=True, capture_output=True)
    return out


@pytest.mark.parametrize("archs, sass, ptx", [
    (["sm_80", "sm_90"], ["sm_80", "sm_90"], ["compute_90"]),
    (["sm_75"], ["sm_75"], ["compute_75"]),
    (["sm_86", "sm_89", "sm_120"], ["sm_86", "sm_89", "sm_120"], ["compute_120"]),
])
def test_reads_the_architectures_nvcc_wrote(cuda_toolkit, tmp_path, archs, sass, ptx):
    entries = list_fatbin_entries(_nvcc_fatbin(cuda_toolkit, tmp_path, archs))
    assert summarize(entries) == {"sass": sass, "ptx": ptx}
    assert all(entry.size > 0 for entry in entries)
    assert {entry.kind for entry in entries} == {"cubin", "ptx"}


def test_finds_a_fatbin_embedded_in_other_bytes(cuda_toolkit, tmp_path):
    fatbin = _nvcc_fatbin(cuda_toolkit, tmp_path, ["sm_80"]).read_bytes()
    wrapped = tmp_path / "lib.so"
    wrapped.write_bytes(b"\x7fELF" + bytes(1000) + fatbin + bytes(37))
    assert summarize(list_fatbin_entries(wrapped)) == {"sass": ["sm_80"], "ptx": ["compute_80"]}


def test_magic_without_a_valid_fatbin_is_ignored(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(MAGIC.to_bytes(4, "little") + b"\x01\x00\x10\x00" + (10**9).to_bytes(8, "little"))
    assert list_fatbin_entries(junk) == []
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    assert list_fatbin_entries(empty) == []


def test_truncated_fatbin_is_not_reported(cuda_toolkit, tmp_path):
    fatbin = _nvcc_fatbin(cuda_toolkit, tmp_path, ["sm_80", "sm_90"]).read_bytes()
    cut = tmp_path / "cut.fatbin"
    cut.write_bytes(fatbin[: len(fatbin) // 2])
    assert list_fatbin_entries(cut) == []
