"""Command line: thin commands over the models, and the output renderers."""
