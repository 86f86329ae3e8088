"""``python -m skstc``: the ``skstc`` command line (see ``python -m skstc --help``)."""

if __name__ == "__main__":
    from .cli import main

    main(prog_name="skstc")
