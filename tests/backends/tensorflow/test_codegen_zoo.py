"""The generated code of every model of the zoo (models/*.slim), pinned by hash.

``tests/golden/codegen/zoo.sha256`` holds one line per file, ``SHA256  models/NAME.slim``: the
hash of what ``slimc compile`` makes of all the models of that file. A refactoring of the
compiler must leave every line as it is; a deliberate change of the generated code is recorded
with ``pytest --update-golden`` (review which files changed, and why). The test fails when the
manifest is missing, lists other files than the zoo, or a hash differs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from slimdsl.api import check_file
from slimdsl.backends.tensorflow.codegen import generate

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = ROOT / "tests" / "golden" / "codegen" / "zoo.sha256"


def generated(rel: str) -> str:
    """The module ``slimc compile`` writes for every model of the file ``rel``."""
    result = check_file(str(ROOT / rel))
    assert result.ok and result.graphs, [d.message for d in result.diagnostics]
    return generate(result.graphs, rel, command=f"slimc {rel} -o {Path(rel).stem}.py")


def zoo_hashes() -> dict[str, str]:
    """Path (relative to the repository) -> sha256 of its generated code, for models/*.slim."""
    files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "models").glob("*.slim"))
    return {rel: hashlib.sha256(generated(rel).encode("utf-8")).hexdigest() for rel in files}


def read_manifest(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, rel = line.split("  ", 1)
        out[rel] = digest
    return out


def test_generated_code_of_the_zoo_is_unchanged(update_golden):
    current = zoo_hashes()
    if update_golden:
        MANIFEST.write_text("".join(f"{h}  {rel}\n" for rel, h in current.items()),
                            encoding="utf-8")
    assert MANIFEST.exists(), f"{MANIFEST} is missing: pytest --update-golden writes it"
    pinned = read_manifest(MANIFEST)
    assert sorted(pinned) == sorted(current), \
        f"the manifest lists {sorted(pinned)}, the zoo is {sorted(current)}"
    changed = [rel for rel in current if current[rel] != pinned[rel]]
    assert not changed, f"generated code changed for {changed} (pytest --update-golden " \
                        f"records a deliberate change)"
