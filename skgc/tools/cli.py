"""Command line: ``skgc <command>`` or ``python -m skgc <command>``."""

import argparse
import importlib
import sys

import skgc

# command -> module with ``add_arguments(parser)`` and ``run(args)``; modules are imported
# only when their command runs.
COMMANDS = {
    "demo": ("skgc.tools.demo", "train under the paper's stragglers and compare codes"),
    "codes": ("skgc.tools.codes_report", "load, residual error, bias and decoding cost of every code"),
    "bench": ("skgc.tools.benchmarks.cli", "run the benchmark suite; write results.md and plots"),
}


def main(argv=None):
    """Parse ``argv`` and run the chosen command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="skgc", description=__doc__)
    parser.add_argument("--version", action="version", version=f"skgc {skgc.__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    parsers = {}
    for name, (module, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(module=module)
        importlib.import_module(module).add_arguments(sub)
        parsers[name] = sub
    args = parser.parse_args(argv)
    module = importlib.import_module(args.module)
    _check(module, args, parsers[args.command])
    return module.run(args) or 0


def _check(module, args, parser):
    """The command's own checks of its arguments together (``check_arguments(args)``,
    raising ValueError): a bad combination is a usage error (exit status 2), not a
    traceback."""
    check = getattr(module, "check_arguments", None)
    if check is None:
        return
    try:
        check(args)
    except ValueError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    sys.exit(main())
