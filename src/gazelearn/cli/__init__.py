"""The ``gazelearn`` command line: ``gazelearn <domain> <verb>``.

Each domain has its own module here that defines its Typer commands; :mod:`gazelearn.cli.main`
gathers them. Every command turns :class:`gazelearn.InputError` into a one-line message and exit
code 1 (see :func:`gazelearn.cli.common.run_safely`).
"""
