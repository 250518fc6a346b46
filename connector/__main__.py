"""``python -m connector`` runs the ``crmsync`` command."""

from connector.cli import main

main()
