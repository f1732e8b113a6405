"""Small realistic files of every format, written into a folder (shared by the io tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

GAZECOM_TEXT = (
    "X_coord\tY_coord\tConfidence\tPattern\n"
    "0.5\t0.5\t1.0\tF\n"
    "0.5\t0.5\t1.0\tF\n"
    "0.0\t0.0\t0.0\tB\n"
    "0.25\t0.75\t1.0\tS\n"
    "1.02\t0.5\t1.0\tP\n"
)

PATHS_TEXT = (
    "1000\tG\t100.5\t200.25\tGazeData TS:5000\n"
    "1010\tG\t101\t201\tGazeData TS:5017\n"
    "1030\tG\t0\t0\tGazeData TS:5033\n"
    "1030\tG\t103\t203\tGazeData TS:5050\n"
)

ANIMALS_TEXT = "1000,10,20\n1020,11,21\n1040,12,22\n"

RADIO_TEXT = (
    "timstamp,smoothx,smoothy,rawx,rawy,fixation\n"
    "1000,10,20,11,21,1\n"
    "1017,12,22,13,23,1\n"
    "1050,14,24,15,25,0\n"
    "1034,16,26,17,27,0\n"  # out of order, as in a few real files
)

# A monocular EyeLink 1000 export at 500 Hz: a fixation, a saccade with a blink inside, lost
# samples written as '.', and an event of the other eye that must be ignored.
ASC_TEXT = """** CONVERTED FROM D:\\data\\s01.edf using edfapi 4.2.1 Jan 19 2021
** DATE: Tue Mar  8 10:11:12 2022
** TYPE: EDF_FILE BINARY EVENT SAMPLE TAGGED
** VERSION: EYELINK II 1
** SOURCE: EYELINK CL
**
MSG\t1990 DISPLAY_COORDS 0 0 1279 1023
MSG\t1995 TRIALID 7
START\t2000 \tLEFT\tSAMPLES\tEVENTS
PRESCALER\t1
VPRESCALER\t1
PUPIL\tAREA
EVENTS\tGAZE\tLEFT\tRATE\t 500.00\tTRACKING\tCR\tFILTER\t2
SAMPLES\tGAZE\tLEFT\tRATE\t 500.00\tTRACKING\tCR\tFILTER\t2
SFIX L   2000
2000\t  640.1\t  512.2\t 1021.0\t...
2002\t  640.3\t  512.0\t 1022.0\t...
2004\t  640.2\t  511.9\t 1020.0\t...
EFIX L   2000\t2004\t6\t  640.2\t  512.0\t   1021
SSACC L  2006
2006\t  660.0\t  515.0\t 1019.0\t...
2008\t   .\t   .\t    0.0\t...
2010\t   .\t   .\t    0.0\t...
2012\t  720.0\t  530.0\t 1015.0\t...
SBLINK L 2008
EBLINK L 2008\t2010\t4
ESACC L  2006\t2012\t8\t  660.0\t  515.0\t  720.0\t  530.0\t   2.10\t     310
EFIX R   2000\t2012\t14\t  100.0\t  100.0\t   1000
2014\t  721.0\t  531.0\t 1016.0\t...
END\t2016 \tSAMPLES\tEVENTS\tRES\t  38.00\t  37.50
"""

#: The labels the ASC above must give: fix x3, saccade, blink x2, saccade, undefined.
ASC_LABELS = [1, 1, 1, 2, 5, 5, 2, 0]


def lund_pos(n: int = 10) -> np.ndarray:
    """An N x 6 Lund ``pos`` array with lost samples and all label codes."""
    pos = np.zeros((n, 6))
    pos[:, 0] = 1_000_000 + np.arange(n) * 2000.0
    pos[:, 3] = 500 + np.arange(n)
    pos[:, 4] = 300 + np.arange(n)
    pos[:, 5] = (np.arange(n) % 6) + 1
    pos[2, 3:5] = 0.0  # lost as (0, 0)
    pos[3, 3] = np.nan  # lost as NaN
    return pos


def write_lund(path: Path, pos: np.ndarray | None = None, **fields) -> Path:
    """Write a Lund 2013 style .mat file."""
    struct = {"pos": lund_pos() if pos is None else pos, "screenDim": np.array([[0.38, 0.30]]),
              "screenRes": np.array([[1024, 768]]), "viewDist": 0.67, "sampFreq": 500}
    struct.update(fields)
    scipy.io.savemat(path, {"ETdata": struct})
    return path


def write_all(folder: Path) -> dict[str, Path]:
    """One small file of every recording format; returns format name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "lund2013": write_lund(folder / "TH38_img_Europe_labelled_RA.mat"),
        "gazecom": folder / "AAF_breite_strasse.csv",
        "etra-paths": folder / "kot_12.csv",
        "etra-animals": folder / "A10.csv",
        "radio": folder / "S_A1116_5_2",
        "eyelink-asc": folder / "s01.asc",
        "delimited": folder / "plain.csv",
    }
    files["gazecom"].write_text(GAZECOM_TEXT)
    files["etra-paths"].write_text(PATHS_TEXT)
    files["etra-animals"].write_text(ANIMALS_TEXT)
    files["radio"].write_text(RADIO_TEXT)
    files["eyelink-asc"].write_text(ASC_TEXT)
    files["delimited"].write_text("time,x,y,label\n0.0,1.5,2.5,fixation\n0.002,1.6,2.6,saccade\n")
    return files
