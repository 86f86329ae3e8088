"""The command-line convention shared by the benchmark scripts.

Every script selects what it runs with ``--parts NAME [NAME ...]`` (comma-separated lists are
accepted too: ``--parts synthetic,real``); the help lists the parts and the default.
"""


def add_parts_argument(parser, choices, default):
    """Add ``--parts`` to ``parser``; read the selection back with :func:`selected_parts`."""
    parser.add_argument(
        "--parts", nargs="+", default=list(default), metavar="PART",
        help=f"parts to run, among {', '.join(choices)} (default: {' '.join(default)})")
    parser.set_defaults(_part_choices=tuple(choices))


def selected_parts(parser, args):
    """The parts asked for, in the order given, checked against the choices."""
    parts = [p for value in args.parts for p in value.split(",") if p]
    unknown = [p for p in parts if p not in args._part_choices]
    if unknown:
        parser.error(f"unknown part(s) {unknown}; choose among {list(args._part_choices)}")
    return parts
