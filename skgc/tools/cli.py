"""The command line: ``skgc <command>`` or ``python -m skgc <command>``."""

import argparse
import importlib
import sys

import skgc

DESCRIPTION = """\
skgc trains scikit-learn linear models on workers of which some are slow or dead
(stragglers), with gradient coding. Commands: 'skgc demo' trains under the paper's
stragglers and explains what it shows; 'skgc codes' compares the gradient codes; 'skgc
bench' runs the benchmark suite. 'skgc COMMAND --help' tells more."""

# command -> (module with ``add_arguments(parser)`` and ``run(args)``, one-line help)
COMMANDS = {
    "demo": ("skgc.tools.demo", "train under the paper's stragglers and compare codes"),
    "codes": ("skgc.tools.codes_report",
              "load, residual error, bias and decoding cost of every code"),
    "bench": ("skgc.tools.benchmarks.cli",
              "run the benchmark suite; write results.md and plots"),
}


def main(argv=None):
    """Parse ``argv`` and run the chosen command; returns the exit status.

    Bad arguments, alone or together, end in one argparse-style line on stderr and exit
    status 2, never a traceback.
    """
    parser = argparse.ArgumentParser(
        prog="skgc", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"skgc {skgc.__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parsers = {}
    for name, (module, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(module=module)
        importlib.import_module(module).add_arguments(sub)
        parsers[name] = sub
    args = parser.parse_args(argv)
    module = importlib.import_module(args.module)
    try:
        _check(module, args)
        return module.run(args) or 0
    except ValueError as exc:  # what skgc refuses (sklearn style) is a usage error here
        parsers[args.command].error(str(exc))


def _check(module, args):
    """The command's own checks of its arguments together (``check_arguments(args)``,
    raising ValueError)."""
    check = getattr(module, "check_arguments", None)
    if check is not None:
        check(args)


if __name__ == "__main__":
    sys.exit(main())
