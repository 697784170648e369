"""The command line behind `python -m app` (app/__main__.py holds the parser).

Modules: common (errors, settings, the store), training (the train command),
commands (serve, trace, list, info, delete), table (plain-text tables),
progress (the training progress display on stderr).
"""
