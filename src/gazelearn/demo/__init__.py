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

from gazelearn.demo import gaze_steps, real_steps, signal_steps
from gazelearn.demo.tour import DemoContext, Step, run_demo

#: The tour, in order; ``real`` steps run only with ``--real``.
STEPS: list[Step] = [
    Step("population", "A simulated population", signal_steps.population),
    Step("events", "Event detection against the simulator's truth", signal_steps.events,
         needs=("population",)),
    Step("scanpaths", "Heat maps and a scanpath classifier", signal_steps.scanpaths,
         needs=("population",)),
    Step("biometrics", "Who is it? Identification from eye movements", signal_steps.biometrics,
         needs=("population",)),
    Step("eyes", "Synthetic eye images", gaze_steps.eyes),
    Step("gaze", "Gaze CNN with and without batch-normalisation calibration", gaze_steps.gaze,
         needs=("eyes",)),
    Step("tracking", "The webcam pipeline on a bundled face video", gaze_steps.tracking),
    Step("real_events", "Real data: events in Lund 2013", real_steps.events, real=True),
    Step("real_scanpaths", "Real data: which picture? (ETRA 2021 paths)", real_steps.scanpaths,
         real=True),
    Step("real_gaze", "Real data: gaze from eye images (ETRA 2021 eye_left)", real_steps.gaze,
         real=True),
]

__all__ = ["STEPS", "DemoContext", "Step", "run_demo"]
