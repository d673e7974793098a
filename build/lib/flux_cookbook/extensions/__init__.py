"""Python side of the Flux cookbook template.

The template's Jinja files stay thin; every decision (what a valid name is, how an
answer is quoted into YAML, which Flux API a convention uses, where a file goes) is a
named function here, unit tested on its own under tests/unit/.

Modules use relative imports only, so that `jinja_entry.py` can load this package under a
name unique to each template checkout: `copier update` renders the old and the new
template version in one Python process, and each must run its own code.
"""
