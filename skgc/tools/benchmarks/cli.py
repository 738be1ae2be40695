"""skgc bench: run the benchmark suite and write results.md and PNG plots."""

import argparse
import importlib
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from . import SUITE
from ._common import RATIO_CONVENTION, Settings, machine_lines

DEFAULT_SEEDS = (0, 1, 2, 3, 4)


def _names(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SUITE]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown benchmark {', '.join(unknown) or repr(text)}; choose from "
            f"{', '.join(SUITE)}")
    return tuple(names)


def _seeds(text):
    try:
        seeds = tuple(int(s) for s in text.split(",") if s.strip())
    except ValueError:
        seeds = ()
    if not seeds:
        raise argparse.ArgumentTypeError(f"seeds must be integers like 0,1,2; got {text!r}")
    return seeds


def add_arguments(parser):
    parser.add_argument("--out", type=Path, default=None,
                        help="directory for results.md, one results_<part>.md per part and "
                             "the PNG plots (default: print the markdown only)")
    parser.add_argument("--quick", action="store_true",
                        help="the whole suite small (about two minutes on two cores)")
    parser.add_argument("--only", type=_names, default=SUITE, metavar="NAME[,NAME]",
                        help=f"run only these parts: {', '.join(SUITE)}")
    parser.add_argument("--seeds", "--seed", type=_seeds, default=DEFAULT_SEEDS,
                        metavar="S[,S]", help="seeds of the repeated runs (0,1,2,3,4)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def check_arguments(args):
    """``--out`` must be a directory this process can create or write in."""
    if args.out is None:
        return
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--out {args.out}: cannot create the directory "
                         f"({exc.strerror or exc})") from None
    if not os.access(args.out, os.W_OK):
        raise ValueError(f"--out {args.out}: the directory is not writable")


def run(args):
    settings = Settings(quick=args.quick, out=args.out, seeds=args.seeds,
                        show_progress=not args.no_progress)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    sections = []
    for name in args.only:
        module = importlib.import_module(f"skgc.tools.benchmarks.{name}")
        began = time.perf_counter()
        section = module.run(settings)
        section.seconds = time.perf_counter() - began
        sections.append(section)
        if args.out is not None:
            (args.out / f"results_{name}.md").write_text("\n\n".join(
                [section.markdown, *filter(None, figures(section)),
                 _measured_on(settings, section)]) + "\n")
    text = report(settings, sections, time.perf_counter() - start, args)
    if args.out is None:
        print(text)
    else:
        (args.out / "results.md").write_text(text)
        print("\n".join(["# headline figures"] + [f"- {h}" for s in sections
                                                   for h in s.headlines]))
        print(f"\nwrote {args.out / 'results.md'}"
              + "".join(f"\nplot: {path}" for s in sections for path in s.plots))
    return 0


def _measured_on(settings, section):
    lines = machine_lines(settings)
    return (f"Measured in {section.seconds:.0f} s " + ("(quick run) " if settings.quick else "")
            + "on " + lines[0].removeprefix("- machine: ") + "; "
            + lines[1].removeprefix("- versions: ") + ".")


def report(settings, sections, seconds, args):
    """The markdown of ``results.md``."""
    command = "skgc bench" + (" --quick" if settings.quick else "")
    if tuple(args.only) != SUITE:
        command += f" --only {','.join(args.only)}"
    if tuple(settings.seeds) != DEFAULT_SEEDS:
        command += f" --seeds {','.join(map(str, settings.seeds))}"
    lines = ["# skgc benchmarks", "",
             f"- command: `{command}`",
             f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
             *machine_lines(settings),
             f"- run time: {seconds:.0f} s ("
             + ", ".join(f"{s.name} {s.seconds:.0f} s" for s in sections) + ")",
             "", RATIO_CONVENTION, "", "## Headline figures", ""]
    lines += [f"- {h}" for s in sections for h in s.headlines] or ["- (none)"]
    lines.append("")
    for section in sections:
        lines += [section.markdown, "", *figures(section)]
    return "\n".join(lines)


def figures(section):
    """Markdown lines of a section's plots, each with its caption under it."""
    lines = []
    for path in section.plots:
        lines += [f"![{path.stem}]({path.name})", ""]
        if path in section.captions:
            lines += [f"*{section.captions[path]}*", ""]
    return lines


def main(argv=None, default_out=None):
    """Parse ``argv`` and run (for the scripts in ``benchmarks/``): ``default_out`` is used
    when ``--out`` is not given."""
    parser = argparse.ArgumentParser(prog="skgc bench", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    if args.out is None and default_out is not None:
        args.out = Path(default_out)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
