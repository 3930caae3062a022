"""The app layer: what composes the UI (``screens/``) and the domain (``wizard/``). The command
line (:mod:`app.cli`), the browser view's server (:mod:`app.serve`), the commands (run, demo,
plain, report, approve, directory import, schema) and the one catch-and-reopen loop
(:mod:`app.guard`). ``wizard/`` never imports this package (the import-linter contracts in
pyproject.toml check it)."""
