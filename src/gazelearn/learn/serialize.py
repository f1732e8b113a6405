"""Pickle-free encoding of fitted state: numbers to JSON, arrays to safetensors tensors.

:func:`encode` turns a value (numbers, strings, lists, tuples, dicts, numpy arrays and scalars,
scikit-learn estimators) into a JSON-ready structure plus a dict of named numeric arrays (stored
as safetensors); :func:`decode` reverses it. No code is ever pickled. scikit-learn estimators are
stored with skops (scikit-learn's maintained safe format, kept in step with its private state by
its authors) as a byte tensor; loading checks every type in it against an allow-list (gazelearn's
registered classes and :data:`TRUSTED_SKLEARN`) before anything is built, so loading a model file
cannot run code from the file.

Examples
--------
>>> import numpy as np
>>> arrays = {}
>>> node = encode({"classes_": np.array(["a", "b"]), "coef_": np.eye(2), "n": (1, 2)}, "s",
...               arrays)
>>> sorted(arrays)
['s.coef_']
>>> back = decode(node, arrays)
>>> back["classes_"].tolist(), back["coef_"].shape, back["n"]
(['a', 'b'], (2, 2), (1, 2))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gazelearn.errors import InputError

#: Types that skops does not trust by default but gazelearn's estimators contain (a tree's nodes).
TRUSTED_SKLEARN = frozenset({"sklearn.tree._tree.Tree"})

_NUMERIC = "biuf"


def _check_types(data: bytes, name: str) -> list[str]:
    """The types of skops ``data`` outside skops' defaults; InputError for any not allowed."""
    import skops.io

    from gazelearn.learn.registry import CLASSES

    try:
        untrusted = skops.io.get_untrusted_types(data=data)
    except Exception as error:  # noqa: BLE001 - a damaged zip: zipfile's and json's errors
        raise InputError(f"{name} is not readable skops data: "
                         f"{' '.join(str(error).split())[:200]}") from None
    refused = [t for t in untrusted if t not in TRUSTED_SKLEARN and t not in CLASSES]
    if refused:
        raise InputError(f"{name} holds types gazelearn does not trust: {', '.join(refused)}")
    return untrusted


def _load_skops(data: bytes, name: str) -> Any:
    import skops.io

    from gazelearn.learn.registry import class_for_key

    trusted = _check_types(data, name)
    for key in trusted:
        if key not in TRUSTED_SKLEARN:
            class_for_key(key)  # a lazy gazelearn class: import its module before skops builds it
    try:
        value = skops.io.loads(data, trusted=trusted)
    except Exception as error:  # noqa: BLE001 - skops raises many kinds; all mean a bad file
        raise InputError(f"cannot rebuild {name} from the model file: {error}") from None
    check_sklearn_arrays(value, name)
    return value


def _check_tree(tree: Any, n_features: int | None, name: str) -> None:
    """InputError unless ``tree`` (a ``sklearn.tree._tree.Tree``) is safe to traverse.

    scikit-learn's compiled predict follows the node arrays without bounds checks, so a file
    whose child indices point outside the tree crashes the process (a segfault) instead of
    raising: every index is checked here, through the tree's public attributes only.
    """
    def bad(what: str) -> InputError:
        return InputError(f"{name} holds a broken decision tree: {what}")

    count, capacity = int(tree.node_count), int(tree.capacity)
    # node_count is read from the file, the node arrays' length is what was copied: a larger
    # count would make every attribute below read past the end of the nodes
    if not 1 <= count <= capacity:
        raise bad(f"node_count {count} outside 1..{capacity} (the stored nodes)")
    left, right = np.asarray(tree.children_left), np.asarray(tree.children_right)
    feature, threshold = np.asarray(tree.feature), np.asarray(tree.threshold)
    value = np.asarray(tree.value)
    leaf = left == -1
    if not np.array_equal(leaf, right == -1):
        raise bad("a node has one child")
    inner = np.flatnonzero(~leaf)
    # children come after their parent in scikit-learn's trees: also rules out cycles (hangs)
    for side, children in (("left", left[inner]), ("right", right[inner])):
        if np.any(children <= inner) or np.any(children >= count):
            raise bad(f"{side} child indices outside {count} nodes")
    limit = int(tree.n_features) if n_features is None else min(int(tree.n_features),
                                                                 int(n_features))
    if np.any(feature[inner] < 0) or np.any(feature[inner] >= limit):
        raise bad(f"feature indices outside the {limit} features")
    if not np.isfinite(threshold[inner]).all():
        raise bad("non-finite thresholds")
    n_classes = np.asarray(tree.n_classes)
    expected = (count, int(tree.n_outputs), int(n_classes.max(initial=1)))
    if value.shape != expected or not np.isfinite(value).all():
        raise bad(f"node values of shape {value.shape} (expected {expected}) or non-finite")


def _check_fitted(estimator: Any, name: str) -> None:
    """InputError unless the fitted arrays of a scikit-learn estimator agree with each other.

    A file whose checksum was recomputed after tampering passes the checksum; libsvm and the
    neighbour search then index these arrays without bounds checks (a segfault) or give
    silently wrong output. So: every float array is finite, shapes agree with
    ``n_features_in_`` and ``classes_``, every index lies in its range. Only public and
    documented fitted attributes are read, plus the few private arrays the predict methods
    use (``_fit_X``, ``_y``, libsvm's ``_n_support``, ``_dual_coef_``, ``_intercept_``).
    """
    state = vars(estimator)

    def bad(what: str) -> InputError:
        return InputError(f"{name} holds a broken {type(estimator).__name__}: {what}")

    def array(key: str) -> np.ndarray | None:
        value = state.get(key)
        return None if value is None else np.asarray(value)

    for key, value in state.items():  # no NaN or inf in any fitted float array
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" \
                and not np.isfinite(value).all():
            raise bad(f"non-finite values in {key}")
    n_features = state.get("n_features_in_")
    classes = array("classes_")
    n_classes = None if classes is None or classes.ndim != 1 else len(classes)

    def shape(key: str, *expected: int | None) -> np.ndarray | None:
        value = array(key)
        if value is None:
            return None
        if value.ndim != len(expected) or any(e is not None and d != e
                                              for d, e in zip(value.shape, expected, strict=True)):
            raise bad(f"{key} of shape {value.shape}, expected "
                      f"{tuple('*' if e is None else e for e in expected)}")
        return value

    if "_fit_X" in state:  # nearest neighbours: the stored training set and its targets
        fit_x = shape("_fit_X", state.get("n_samples_fit_"), n_features)
        y = array("_y")
        if fit_x is None or y is None or len(y) != len(fit_x):
            raise bad("training samples and targets of different lengths")
        if n_classes is not None and (y.dtype.kind not in "iu" or y.size and (
                y.min() < 0 or y.max() >= n_classes)):
            raise bad(f"class indices outside the {n_classes} classes")
    if "support_vectors_" in state:  # libsvm (SVC, SVR): every array it reads by index
        support = shape("support_", None)
        vectors = shape("support_vectors_", None if support is None else len(support),
                        n_features)
        counts = shape("_n_support", n_classes if n_classes else None)
        n_sv = len(vectors)
        fitted_rows = np.asarray(state.get("shape_fit_", (0,)))[0]
        if support is None or support.dtype.kind not in "iu" or support.size and (
                support.min() < 0 or support.max() >= fitted_rows):
            raise bad("support_ indices outside the training samples")
        # per class for a classifier (they add up to the support vectors); SVR repeats the
        # total
        if counts is None or counts.dtype.kind not in "iu" or counts.min(initial=0) < 0 \
                or (int(counts.sum()) != n_sv if n_classes else counts.max(initial=0) > n_sv):
            raise bad(f"_n_support does not fit the {n_sv} support vectors")
        pairs = 1 if not n_classes else n_classes * (n_classes - 1) // 2
        rows = 1 if not n_classes else n_classes - 1
        for key in ("dual_coef_", "_dual_coef_"):
            shape(key, rows, n_sv)
        for key in ("intercept_", "_intercept_"):
            shape(key, pairs)
        for key in ("_probA", "_probB"):
            value = array(key)
            if value is not None and value.size not in (0, pairs):
                raise bad(f"{key} of {value.size} values for {pairs} class pairs")
        if not 0 < float(np.asarray(state.get("_gamma", 1.0))):
            raise bad("a kernel gamma that is not positive")
    if "theta_" in state:  # Gaussian naive Bayes
        shape("theta_", n_classes, n_features)
        var = shape("var_", n_classes, n_features)
        shape("class_prior_", n_classes)
        shape("class_count_", n_classes)
        if var is not None and var.size and var.min() <= 0:
            raise bad("variances that are not positive")
    if "means_" in state and "xbar_" in state:  # linear discriminant analysis
        shape("means_", n_classes, n_features)
        shape("priors_", n_classes)
        shape("xbar_", n_features)
        shape("scalings_", n_features, None)
        coef = shape("coef_", None, n_features)
        shape("intercept_", None if coef is None else len(coef))
    elif "coef_" in state and n_features is not None:  # linear models, any other
        coef = array("coef_")
        if coef is None or coef.shape[-1:] != (n_features,):
            raise bad(f"coef_ of shape {None if coef is None else coef.shape} for "
                      f"{n_features} features")
    for key in ("mean_", "scale_", "var_") if "scale_" in state else ():  # scalers
        if state.get(key) is not None:
            shape(key, n_features)


def check_sklearn_arrays(value: Any, name: str) -> None:
    """Check the arrays of scikit-learn objects loaded from a file before anything predicts.

    Every decision tree found (a tree's ``tree_``, a forest's or boosting model's
    ``estimators_``) is checked with :func:`_check_tree` against its estimator's
    ``n_features_in_``, and every estimator's fitted arrays with :func:`_check_fitted`
    (finite, shapes that agree with its features and classes, indices in range).

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> tree = DecisionTreeClassifier(max_depth=2).fit([[0.0], [1.0], [2.0]], [0, 1, 1])
    >>> check_sklearn_arrays(tree, "state.fitted")  # a sound tree passes silently
    """
    from sklearn.base import BaseEstimator
    from sklearn.tree._tree import Tree

    seen: set[int] = set()

    def walk(node: Any, n_features: int | None, depth: int) -> None:
        if id(node) in seen or depth > 50:
            return
        seen.add(id(node))
        if isinstance(node, Tree):
            _check_tree(node, n_features, name)
        elif isinstance(node, BaseEstimator):
            _check_fitted(node, name)
            own = getattr(node, "n_features_in_", n_features)
            for attribute in vars(node).values():
                walk(attribute, own, depth + 1)
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item, n_features, depth + 1)
        elif isinstance(node, dict):
            for item in node.values():
                walk(item, n_features, depth + 1)
        elif isinstance(node, np.ndarray) and node.dtype == object:
            for item in node.ravel():
                walk(item, n_features, depth + 1)

    walk(value, None, 0)


def fitted_attributes(estimator: Any) -> dict[str, Any]:
    """The instance attributes of ``estimator`` that are not constructor parameters."""
    params = set(estimator.get_params(deep=False)) if hasattr(estimator, "get_params") else set()
    return {k: v for k, v in vars(estimator).items() if k not in params}


def encode(value: Any, name: str, arrays: dict[str, np.ndarray]) -> Any:
    """A JSON-ready form of ``value``; numeric arrays go into ``arrays`` under ``name``-based keys.

    Raises
    ------
    InputError
        For a value that cannot be stored without pickling code (the message names it).
    """
    from sklearn.base import BaseEstimator

    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return {"__scalar__": value.dtype.str, "value": value.item()}
    if isinstance(value, np.ndarray):
        if value.dtype.names:  # structured (a tree's nodes): one array per field
            fields = {f: encode(np.ascontiguousarray(value[f]), f"{name}.{f}", arrays)
                      for f in value.dtype.names}
            return {"__struct__": fields, "len": int(len(value))}
        if value.dtype.kind in _NUMERIC:
            arrays[name] = np.ascontiguousarray(value)
            return {"__array__": name}
        if value.dtype.kind in "US" or value.dtype == object:
            items = value.tolist()
            flat = value.ravel().tolist()
            if all(v is None or isinstance(v, bool | int | float | str) for v in flat):
                return {"__list_array__": items, "dtype": value.dtype.str}
        raise InputError(f"cannot store {name} (array of {value.dtype}) without pickle")
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, f"{name}.{i}", arrays) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, f"{name}.{i}", arrays) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"__dict__": {k: encode(v, f"{name}.{k}", arrays) for k, v in value.items()}}
        return {"__items__": [[encode(k, f"{name}.k{i}", arrays), encode(v, f"{name}.{i}", arrays)]
                              for i, (k, v) in enumerate(value.items())]}
    if isinstance(value, BaseEstimator):
        import skops.io

        data = skops.io.dumps(value)
        _check_types(data, name)  # refuse now what could not be loaded later
        arrays[name] = np.frombuffer(data, dtype=np.uint8).copy()
        return {"__skops__": name}
    raise InputError(f"cannot store {name} of type {type(value).__name__} without pickle")


def decode(node: Any, arrays: dict[str, np.ndarray]) -> Any:
    """Rebuild a value from :func:`encode` output and its arrays."""
    if node is None or isinstance(node, bool | int | float | str):
        return node
    if isinstance(node, list):
        return [decode(v, arrays) for v in node]
    if not isinstance(node, dict):
        raise InputError(f"model file holds an unexpected value {node!r}")
    if "__array__" in node:
        key = node["__array__"]
        if key not in arrays:
            raise InputError(f"model file lacks the array {key!r}")
        return np.array(arrays[key])
    if "__scalar__" in node:
        return np.dtype(node["__scalar__"]).type(node["value"])
    if "__list_array__" in node:
        dtype = np.dtype(node["dtype"])
        if dtype == np.dtype(object):
            out = np.empty(len(node["__list_array__"]), dtype=object)
            out[:] = node["__list_array__"]
            return out
        return np.array(node["__list_array__"], dtype=dtype)
    if "__struct__" in node:
        return {"__fields__": {f: decode(v, arrays) for f, v in node["__struct__"].items()}}
    if "__tuple__" in node:
        return tuple(decode(v, arrays) for v in node["__tuple__"])
    if "__dict__" in node:
        return {k: decode(v, arrays) for k, v in node["__dict__"].items()}
    if "__items__" in node:
        return {_hashable(decode(k, arrays)): decode(v, arrays) for k, v in node["__items__"]}
    if "__skops__" in node:
        key = node["__skops__"]
        if key not in arrays:
            raise InputError(f"model file lacks the array {key!r}")
        return _load_skops(np.asarray(arrays[key], dtype=np.uint8).tobytes(), key)
    if "__sktree__" in node or "__estimator__" in node:
        raise InputError("model file stores scikit-learn state in gazelearn's old format "
                         "(format_version 1, tied to one scikit-learn version); train and save "
                         "the model again")
    raise InputError(f"model file holds an unknown entry with keys {sorted(node)}")


def _hashable(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def network_state(estimator: Any, network: str = "model_",
                  exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fitted state of a torch-backed estimator, for ``__gazelearn_state__``.

    Every public fitted attribute (``name_``) except those in ``exclude``, with the network
    attribute ``network`` replaced by its weights as numpy arrays.

    Examples
    --------
    >>> import torch
    >>> class Fitted:
    ...     def __init__(self):
    ...         self.model_, self.classes_ = torch.nn.Linear(2, 1), [0, 1]
    >>> state = network_state(Fitted())
    >>> sorted(state), sorted(state["model_"])
    (['classes_', 'model_'], ['bias', 'weight'])
    """
    if not hasattr(estimator, network):
        raise ValueError(f"{type(estimator).__name__} is not fitted")
    state = {k: v for k, v in vars(estimator).items()
             if k.endswith("_") and not k.startswith("_") and k != network and k not in exclude}
    state[network] = {k: v.detach().cpu().numpy()
                      for k, v in getattr(estimator, network).state_dict().items()}
    return state


def restore_network_state(estimator: Any, state: dict[str, Any], build: Any,
                          network: str = "model_", tuples: tuple[str, ...] = ()) -> None:
    """Undo :func:`network_state`, for ``__gazelearn_restore__``.

    ``build()`` is called after the fitted attributes are set (it may need them) and must return
    the untrained network, which then gets the stored weights and is put in eval mode. Attributes
    named in ``tuples`` come back as tuples (JSON stores lists).
    """
    import torch

    weights = state.pop(network)
    vars(estimator).update(state)
    for name in tuples:
        setattr(estimator, name, tuple(getattr(estimator, name)))
    check_standardization(estimator)
    module = build()
    check_state_dict(module, weights)
    module.load_state_dict({k: torch.as_tensor(v) for k, v in weights.items()})
    setattr(estimator, network, module.eval())


def check_standardization(estimator: Any) -> None:
    """InputError unless the stored input statistics fit the stored input shape.

    ``x_mean_`` and ``x_scale_`` (see :func:`gazelearn.learn.data.standardization`) must be
    float arrays that broadcast to one input of ``input_shape_`` without changing its shape,
    with a positive scale: otherwise every prediction would fail, or be silently rescaled.

    Examples
    --------
    >>> import numpy as np
    >>> class Fitted: ...
    >>> fitted = Fitted()
    >>> fitted.input_shape_, fitted.x_mean_, fitted.x_scale_ = (10, 2), np.zeros(2), np.ones(2)
    >>> check_standardization(fitted)
    >>> fitted.x_scale_ = np.ones(3)
    >>> try:
    ...     check_standardization(fitted)
    ... except InputError as error:
    ...     print(error)
    the stored x_scale_ of shape (3,) does not fit inputs of shape (10, 2)
    """
    shape = getattr(estimator, "input_shape_", None)
    for name in ("x_mean_", "x_scale_"):
        if not hasattr(estimator, name):
            continue
        value = getattr(estimator, name)
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            raise InputError(f"the stored {name} is not a float array")
        if shape is not None:
            try:
                fits = np.broadcast_shapes(value.shape, tuple(shape)) == tuple(shape)
            except (ValueError, TypeError):
                fits = False
            if not fits:
                raise InputError(f"the stored {name} of shape {value.shape} does not fit inputs "
                                 f"of shape {tuple(shape)}")
        if name == "x_scale_" and not (value > 0).all():
            raise InputError("the stored x_scale_ holds values that are not positive")


def check_state_dict(module: Any, weights: Any) -> None:
    """InputError unless ``weights`` fit ``module`` exactly: same keys, shapes, finite numbers.

    Examples
    --------
    >>> import numpy as np, torch
    >>> fits = {"weight": np.zeros((1, 2), np.float32), "bias": np.zeros(1, np.float32)}
    >>> check_state_dict(torch.nn.Linear(2, 1), fits)
    >>> try:
    ...     check_state_dict(torch.nn.Linear(2, 1), {"weight": np.zeros((2, 2)),
    ...                                             "bias": np.zeros(1)})
    ... except InputError as error:
    ...     print(error)
    the stored network does not fit the rebuilt one: weight has shape (2, 2), expected (1, 2)
    """
    if not isinstance(weights, dict):
        raise InputError(f"the stored network is a {type(weights).__name__}, expected a dict "
                         "of weights")
    expected = module.state_dict()
    missing, extra = sorted(set(expected) - set(weights)), sorted(set(weights) - set(expected))
    if missing or extra:
        raise InputError("the stored network does not fit the rebuilt one: "
                         + "; ".join(f"{what} {', '.join(keys[:5])}" for what, keys in
                                     (("missing", missing), ("unexpected", extra)) if keys))
    for key, tensor in expected.items():
        stored = weights[key]
        if not isinstance(stored, np.ndarray) or stored.dtype.kind not in _NUMERIC:
            raise InputError(f"the stored network's {key} is not a numeric array")
        # a 0-d buffer (batch norm's num_batches_tracked) is stored with shape (1,)
        scalar = tensor.dim() == 0 and stored.shape in ((), (1,))
        if tuple(stored.shape) != tuple(tensor.shape) and not scalar:
            raise InputError(f"the stored network does not fit the rebuilt one: {key} has "
                             f"shape {tuple(stored.shape)}, expected {tuple(tensor.shape)}")
        if stored.dtype != np.dtype(str(tensor.dtype).removeprefix("torch.")):
            raise InputError(f"the stored network's {key} is {stored.dtype}, expected "
                             f"{str(tensor.dtype).removeprefix('torch.')}")
        if tensor.is_floating_point() and not np.isfinite(stored).all():
            raise InputError(f"the stored network's {key} holds non-finite weights")
