"""Tools over a compiled graph, shared by the CLI and the Python API (no TensorFlow):

- :mod:`.summary`: the per-layer table, totals and variables (text and JSON);
- :mod:`.explain`: one layer's effective arguments and where each came from;
- :mod:`.graphviz`: the network as a Graphviz picture (DOT; SVG/PNG/PDF through ``dot``).
"""
