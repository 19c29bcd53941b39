"""``slimc graph --netron``: the model exported to ONNX in a temporary folder, served by Netron.

Netron (the ``netron`` package, extra ``slimdsl[netron]``) runs a small web server on
localhost that draws the file. The command serves until Ctrl-C, then removes the folder.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from typing import Any, TextIO

from ....ir import Graph
from .build import ExportModel
from .formats import onnx_proto


def serve(tf: Any, graph: Graph, out: TextIO, *, port: int | None = None, browse: bool = True,
          wait: Callable[[], None] | None = None) -> str:
    """Export ``graph`` to ONNX and serve it with Netron until ``wait()`` returns (default:
    Netron's own wait, until Ctrl-C). Returns the URL it was served at."""
    import netron

    logging.getLogger("netron.server").setLevel(logging.WARNING)  # we say where it serves
    proto = onnx_proto(ExportModel(tf, graph), optimize=False, source=graph.path)
    with tempfile.TemporaryDirectory(prefix="slimc-netron-") as folder:
        path = os.path.join(folder, f"{graph.name}.onnx")
        with open(path, "wb") as f:
            f.write(proto.SerializeToString())
        host, bound = netron.start(path, address=("localhost", port), browse=browse)
        url = f"http://{host}:{bound}"
        try:
            print(f"Netron is showing {graph.name} ({graph.path}, exported to ONNX) at {url}",
                  file=out)
            print("press Ctrl-C to stop", file=out, flush=True)
            (wait or netron.wait)()
        except KeyboardInterrupt:
            pass  # Ctrl-C is how the viewer stops, even before Netron's own wait catches it
        finally:
            netron.stop((host, bound))
    return url
