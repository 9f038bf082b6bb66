"""``python -m flowgraph`` runs the command line."""

from flowgraph.cli.main import main

if __name__ == "__main__":
    main()
