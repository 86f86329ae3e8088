"""``python -m skstc`` runs the quickstart (same as ``python -m skstc.demo``)."""

if __name__ == "__main__":
    from .demo import main

    raise SystemExit(main())
