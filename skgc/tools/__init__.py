"""Tooling around skgc: the command line, the demo, the codes report and the benchmark suite.

Nothing in skgc's core (the estimators, solver, backends, objective, codes and straggler
models) imports this package; it uses only their public names, as any user's script would.
"""
