"""``python -m app``: the ``iqies-onboard`` command."""

from app.cli import main

raise SystemExit(main())
