"""Make ``passtest`` (the helpers these tests share) and ``bench/light_weights`` importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
