"""The command line: click lives here and only here."""
