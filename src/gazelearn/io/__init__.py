"""Readers and writers of eye-tracking data.

Every reader returns a :class:`~gazelearn.Recording` (image sets return an
:class:`~gazelearn.io.images.ImageSet`); readers register by name, so ``read(path, "lund2013")``
and ``--format lund2013`` pick them by string.

============== ================================================================================
format         files
============== ================================================================================
delimited      CSV/TSV/whitespace text; you name columns and units (own ``time,x,y`` files: none)
lund2013       Lund 2013 hand-labelled ``.mat`` (500 Hz, labels, screen)
gazecom        GazeCom ``SUBJ_VIDEO.csv`` (X_coord Y_coord Confidence Pattern; 250 Hz, labels)
etra-paths     ETRA 2021 ``paths/IMG_P.csv`` (ms, G, x, y, tracker TS; about 60 Hz)
etra-animals   ETRA 2021 ``animals/A*.csv`` (ms, x, y)
radio          radiograph viewing ``CLASS_PERSON_IMAGE_N`` (timstamp,smoothx,...; about 60 Hz)
eyelink-asc    SR Research EyeLink ``.asc`` (samples, EFIX/ESACC/EBLINK, DISPLAY_COORDS)
parquet        gazelearn's own Parquet recordings
images         folder of ``X_Y.bmp/png/jpg`` (gaze target in the name) -> ImageSet
manifest       CSV of image paths with targets ``x``, ``y`` -> ImageSet
smi, didec     SMI BeGaze samples text (us, px, MSG rows); DIDEC = SMI with its screen
tobii          Tobii Pro Lab / Studio TSV export (us or ms from the data, px, I-VT labels)
gazepoint      Gazepoint CSV (TIME s, normalised BPOG/FPOG/LPOG/RPOG)
pupil-labs     Pupil Player ``gaze_positions.csv`` (s, normalised, confidence)
(data sets)    gazebase, gazebase-vr, judo1000, sbsat, potec, hbn, emtec, gazegraph, gazeonfaces,
               potsdam-binge-pvt, pymovements-* (:mod:`gazelearn.io.layouts`; ``gazelearn
               formats`` lists everything)
============== ================================================================================

Examples
--------
>>> import tempfile, pathlib, numpy as np
>>> from gazelearn import Recording
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> rec = Recording(np.arange(4) / 250, np.arange(4.0), np.zeros(4))
>>> path = write_recording(rec, folder / "r.csv")
>>> detect_format(path), len(read(path))
('delimited', 4)
"""

from . import (  # noqa: F401 (register)
    delimited,
    etra2021,
    eyelink,
    gazecom,
    layouts,
    lund2013,
    radio,
    vendors,
)
from .api import expand_paths, read, read_all, read_dataset
from .atomic import atomic_write, atomic_write_bytes
from .detect import IMAGE_FORMATS, detect_format
from .images import ImageSet, read_image_folder, read_images, read_manifest
from .registry import available_formats, reader_info, register_reader
from .writers import read_events, write_events, write_recording

__all__ = [
    "IMAGE_FORMATS",
    "ImageSet",
    "atomic_write",
    "atomic_write_bytes",
    "available_formats",
    "detect_format",
    "expand_paths",
    "read",
    "read_all",
    "read_dataset",
    "read_events",
    "read_image_folder",
    "read_images",
    "read_manifest",
    "reader_info",
    "register_reader",
    "write_events",
    "write_recording",
]
