"""One module per dashboard page; each exposes a ``router`` with its paths under /ui."""
