"""examples/quickstart.ipynb executes without errors (so that it never rots)."""
from __future__ import annotations

import os
from pathlib import Path

import nbclient
import nbformat

import mottrack

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "examples" / "quickstart.ipynb"


def test_quickstart_notebook_runs(monkeypatch):
    # The kernel imports the mottrack this test process imported (the installed one in CI).
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(Path(mottrack.__file__).resolve().parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NB, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT / "examples")}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "MOTA" in text and "frame  10" in text and "ARTPEC-8" in text
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "<table>" in html
    assert any("image/png" in o.get("data", {}) for o in outputs)
