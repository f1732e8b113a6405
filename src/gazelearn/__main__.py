"""``python -m gazelearn`` runs the ``gazelearn`` command."""

from gazelearn.cli.main import main

main()
