"""``gazelearn demo``: every capability end to end on data generated on the spot, one HTML report.

The tour is a list of steps (:data:`STEPS`); each step reads what earlier steps left in a shared
:class:`DemoContext` (the simulated population, detected events, ...), adds a section to the
report and records its numbers in ``context.results`` (saved as ``DIR/results.json`` beside
``DIR/report.html``). ``--quick`` shrinks every step (used by the test suite);
``--real DIR`` adds steps on the real data sets of ``DIR`` (the project's ``../shared/data``).

Examples
--------
>>> from gazelearn.demo import STEPS
>>> [step.name for step in STEPS][:3]
['population', 'events', 'scanpaths']
"""

from gazelearn.demo.tour import STEPS, DemoContext, Step, run_demo

__all__ = ["STEPS", "DemoContext", "Step", "run_demo"]
