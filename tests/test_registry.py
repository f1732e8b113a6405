"""The one Registry type: duplicate rule, lazy entries, unknown names, re-registration."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from gazelearn.errors import InputError
from gazelearn.registry import Registry


def test_registering_a_different_object_under_a_taken_name_raises():
    shapes = Registry("shape")
    shapes.register("square", lambda side: side * side)
    with pytest.raises(ValueError, match="shape name 'square' is already taken"):
        shapes.register("square", lambda side: 4 * side)
    assert shapes.get("square")(3) == 9  # the first one stays


def test_registering_the_same_object_again_is_fine():
    shapes = Registry("shape")

    @shapes.register("square")
    def square(side):
        return side * side

    assert shapes.register("square", square) is square
    assert shapes.names() == ["square"]


def test_a_reloaded_definition_replaces_the_old_one():
    shapes = Registry("shape")
    defined = []
    for _ in range(2):  # what importlib.reload does: run the module's code again, same name
        namespace = {"__name__": "plugin_for_test"}
        exec("def square(side):\n    return side * side\n", namespace)
        defined.append(shapes.register("square", namespace["square"]))
    assert defined[0] is not defined[1] and shapes.get("square") is defined[1]


def test_unknown_names_are_input_errors_listing_what_is_available():
    formats = Registry("format", also=("auto",))
    formats.register("csv", object())
    formats.register_lazy("mat", "gazelearn.io.lund2013")
    with pytest.raises(InputError, match="unknown format 'xls'; available: auto, csv, mat"):
        formats.get("xls")


def test_lazy_entries_are_listed_without_importing_and_imported_on_lookup():
    code = textwrap.dedent("""
        import sys
        from gazelearn.detection import available_detectors, create_detector
        assert "deep" in available_detectors()
        assert "gazelearn.detection.deep" not in sys.modules and "torch" not in sys.modules
        create_detector("ivt")
        assert "torch" not in sys.modules
        from gazelearn.detection.registry import DETECTORS
        cls = DETECTORS.get("deep")
        assert cls.__name__ == "DeepDetector" and "gazelearn.detection.deep" in sys.modules
    """)
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_lazy_module_that_does_not_register_its_name_is_a_clear_error():
    things = Registry("thing")
    things.register_lazy("json-thing", "json")
    with pytest.raises(InputError, match="module json does not register it"):
        things.get("json-thing")


def test_unregister_and_mapping_like_use():
    things = Registry("thing", identity=lambda pair: pair[0])
    marker = object()
    things.register("a", (marker, "first description"))
    things.register("a", (marker, "same object, new record"))  # identity: the same object
    assert "a" in things and list(things) == ["a"] and len(things) == 1
    things.unregister("a")
    assert "a" not in things and things.names() == []


def test_every_lazy_model_class_resolves():
    from gazelearn.learn.registry import CLASSES, class_for_key, class_key

    for key in CLASSES.names():
        assert class_key(class_for_key(key)) == key


def test_old_folder_names_in_model_files_are_aliases():
    from gazelearn.learn.registry import class_for_key

    new = class_for_key("gazelearn.appearance.estimator.GazeRegressor")
    assert class_for_key("gazelearn.gazemodels.estimator.GazeRegressor") is new
