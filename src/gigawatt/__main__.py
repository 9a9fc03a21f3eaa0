"""``python -m gigawatt`` runs the CLI."""

from gigawatt.cli import main

main()
