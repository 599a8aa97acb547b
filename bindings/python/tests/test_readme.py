"""The Python examples of the package README run as written (in a temporary directory instead
of /tmp), and print what their comments say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import run_python

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_readme_has_its_examples() -> None:
    assert len(BLOCKS) == 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(tmp_path: Path, index: int) -> None:
    code = BLOCKS[index].replace('"/tmp/', f'"{tmp_path}/')
    assert str(tmp_path) in code
    if "import walogs" not in code:
        code = "import walogs\n" + code
    p = run_python(code)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stderr == ""
    if "raft-log" in code:
        # The callback prints from the notifier thread, in any order with the main thread.
        lines = p.stdout.splitlines()
        assert sorted(lines) == sorted(["ack 3 None", "1 b'e1'", "b'term=3 vote=2' 1001 1000"])
        assert lines.index("1 b'e1'") < lines.index("b'term=3 vote=2' 1001 1000")
