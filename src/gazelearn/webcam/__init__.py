"""Webcam gaze without a browser: landmarks, crops, head pose, features, calibration, smoothing.

The pipeline (see ``docs/webcam.md``), one frame at a time in :meth:`Tracker.step`::

    frame --FaceLandmarker--> 478 landmarks --the mapper's frame_input--> one row
          (eyeball measurements + 14 landmark features for the default EyeballGazeMapper,
          14 landmark features for the regressor, or eye-crop pixels for the CNN)
          --CalibrationProfile's GazeMapper--> screen px --filter--> GazeSample -> Recording

MediaPipe (``mediapipe==0.10.21``) and OpenCV are imported only by the parts that need them
(:class:`FaceLandmarker`, the crops and the video readers), so the regressor, calibration and
filters work without them.

Examples
--------
>>> from gazelearn.webcam import calibration_targets, make_filter
>>> calibration_targets(9, (1920, 1080)).shape, type(make_filter("kalman")).__name__
((9, 2), 'KalmanFilter')
"""

from gazelearn.webcam.calibration import (
    CalibrationProfile,
    ValidationReport,
    calibration_targets,
    fit_profile,
    moving_target_path,
    reject_outliers,
    target_groups,
    validate,
    validation_targets,
)
from gazelearn.webcam.crops import EYE_CROP_SIZE, crop_transform, eye_crop, eye_crops, face_crop
from gazelearn.webcam.eyeball import ScreenGeometry, eye_measurements, gaze_angles
from gazelearn.webcam.features import (
    FEATURE_NAMES,
    features_from_frames,
    iris_position,
    landmark_features,
)
from gazelearn.webcam.filters import (
    FILTERS,
    FixationAwareFilter,
    GazeFilter,
    KalmanFilter,
    OneEuroFilter,
    make_filter,
    smooth,
)
from gazelearn.webcam.geometry_mapper import EyeballGazeMapper
from gazelearn.webcam.headpose import face_position, head_pose, rotation_matrix
from gazelearn.webcam.hybrid_mapper import HybridGazeMapper
from gazelearn.webcam.landmarks import (
    EYES,
    FaceLandmarker,
    FaceLandmarks,
    eye_aspect_ratio,
    time_per_frame,
)
from gazelearn.webcam.mapper import GazeMapper, frame_input
from gazelearn.webcam.regressor import LandmarkGazeRegressor
from gazelearn.webcam.tracker import GazeSample, Tracker, camera_frames, read_video

__all__ = [
    "EYES", "EYE_CROP_SIZE", "FEATURE_NAMES", "FILTERS", "CalibrationProfile",
    "EyeballGazeMapper", "FaceLandmarker",
    "FaceLandmarks", "FixationAwareFilter", "GazeFilter", "GazeMapper", "GazeSample",
    "HybridGazeMapper", "KalmanFilter", "LandmarkGazeRegressor", "OneEuroFilter",
    "ScreenGeometry", "Tracker",
    "ValidationReport",
    "calibration_targets", "camera_frames", "crop_transform", "eye_aspect_ratio", "eye_crop",
    "eye_crops", "eye_measurements", "face_crop", "face_position", "features_from_frames",
    "fit_profile", "frame_input", "gaze_angles", "head_pose", "iris_position", "landmark_features",
    "make_filter", "moving_target_path", "read_video", "reject_outliers", "rotation_matrix",
    "smooth", "target_groups", "time_per_frame", "validate", "validation_targets",
]
