"""The pixel side of the synthetic eye images: per-frame parameters in millimetres -> pixels.

:func:`render_eyes` draws a batch of eye crops from a :class:`FrameParameters` (one value, or
one row, per frame). Everything is vectorised over the batch, rows and columns: the shapes are
analytic (signed distances with a one-pixel anti-aliasing ramp), so a batch of 100 crops of
64 x 36 takes a few tens of milliseconds.

The layers, from the back:

* **skin** of the person's tone, darkened in the eye socket, a lid crease above the upper lid, a
  soft shadow under the lower lid and, when the crop is tall enough to show it, the eyebrow;
* the **eyeball** seen through the lid opening: shaded sclera with a pink caruncle at the nasal
  corner, the iris (an ellipse foreshortened by the eye's rotation, radial texture, dark limbal
  ring), the pupil, the corneal reflection (glint) and the shadow of the upper lid;
* the **upper and lower lids**, whose curves bound the opening, with eyelashes: a dark lash line
  and strokes above the upper lid, a faint line under the lower lid;
* **lighting** (gain, a linear brightness gradient, an ambient offset), **blur** (a Gaussian of
  per-frame width, applied in the Fourier domain) and **sensor noise** (Gaussian read noise plus
  signal-dependent shot noise), then quantisation to 8 bits.

Coordinates: millimetres in the plane of the eye, origin at the midpoint of the two eye corners
(the canthi), x to the right of the image, y down. The crop is centred on that point (plus
``offset_mm``), as a landmark-based eye cropper would place it.

Examples
--------
>>> params = FrameParameters.neutral(3)
>>> images = render_eyes(params, image_size=(64, 36))
>>> images.shape, images.dtype
((3, 36, 64), dtype('uint8'))
>>> render_eyes(params, image_size=(41, 41), color=True).shape
(3, 41, 41, 3)
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

#: Weights of the grayscale conversion (ITU-R BT.601 luma).
LUMA = np.array([0.299, 0.587, 0.114])

_PUPIL_RGB = np.array([0.03, 0.03, 0.035])
_LASH_RGB = np.array([0.06, 0.05, 0.05])
_CARUNCLE_RGB = np.array([0.80, 0.50, 0.50])


@dataclass
class FrameParameters:
    """Everything :func:`render_eyes` needs, one entry (or row) per frame.

    Lengths are in millimetres in the plane of the eye, colours are RGB in 0..1. Arrays are
    ``(n,)`` unless noted; :meth:`neutral` builds a plain, centred eye to start from.

    Attributes
    ----------
    scale : pixels per millimetre in the crop.
    offset_mm : ``(n, 2)`` position of the canthal midpoint relative to the crop centre.
    roll_rad : rotation of the eye in the image (head roll plus canthal tilt), clockwise.
    nasal : +1 when the nasal corner is on the image's right (a left eye in a mirrored,
        "selfie" view), -1 otherwise.
    eye_width_mm : distance between the corners.
    upper_lid_mm, lower_lid_mm : current height of the lid margins above / below the canthal
        line at their peak (they follow vertical gaze).
    upper_rest_mm : upper lid height in straight-ahead gaze (the crease and brow hang on it).
    lid_power : exponent of the lid curves (smaller is rounder / boxier).
    upper_peak, lower_peak : position of each lid's peak along the eye, -1..1 (nasal positive).
    crease_mm, crease_depth : lid crease height above the upper lid and its darkness.
    brow_mm, brow_darkness : eyebrow height above the upper lid and its opacity.
    ball_radius_mm : eyeball radius (for the sclera shading).
    iris_center_mm : ``(n, 2)`` iris centre relative to the canthal midpoint.
    iris_squash : cosine of the iris' rotation away from the camera (its foreshortening).
    iris_squash_dir : direction (radians) of that rotation in the image.
    iris_radius_mm, pupil_radius_mm : radii in the iris plane.
    iris_rgb, sclera_rgb, skin_rgb, hair_rgb : ``(n, 3)`` colours.
    iris_texture : ``(n, k, 3)`` rows of (angular frequency, phase, amplitude) of the radial
        iris fibres.
    limbus_darkness : darkening of the iris edge, 0..1.
    glint_mm : ``(n, 2)`` corneal reflection position; glint_radius_mm, glint_strength.
    lash_mm, lash_darkness : eyelash length and opacity.
    lid_shadow : darkening of the eyeball just below the upper lid, 0..1.
    gain, ambient : brightness ``gain * image + ambient``.
    gradient : ``(n, 2)`` brightness slope over the crop along x and y (relative, per half crop).
    blur_px : Gaussian blur sigma in pixels.
    noise : read-noise sigma (0..1 intensity); shot noise scales with it.
    """

    scale: np.ndarray
    offset_mm: np.ndarray
    roll_rad: np.ndarray
    nasal: np.ndarray
    eye_width_mm: np.ndarray
    upper_lid_mm: np.ndarray
    lower_lid_mm: np.ndarray
    upper_rest_mm: np.ndarray
    lid_power: np.ndarray
    upper_peak: np.ndarray
    lower_peak: np.ndarray
    crease_mm: np.ndarray
    crease_depth: np.ndarray
    brow_mm: np.ndarray
    brow_darkness: np.ndarray
    ball_radius_mm: np.ndarray
    iris_center_mm: np.ndarray
    iris_squash: np.ndarray
    iris_squash_dir: np.ndarray
    iris_radius_mm: np.ndarray
    pupil_radius_mm: np.ndarray
    iris_rgb: np.ndarray
    sclera_rgb: np.ndarray
    skin_rgb: np.ndarray
    hair_rgb: np.ndarray
    iris_texture: np.ndarray
    limbus_darkness: np.ndarray
    glint_mm: np.ndarray
    glint_radius_mm: np.ndarray
    glint_strength: np.ndarray
    lash_mm: np.ndarray
    lash_darkness: np.ndarray
    lid_shadow: np.ndarray
    gain: np.ndarray
    ambient: np.ndarray
    gradient: np.ndarray
    blur_px: np.ndarray
    noise: np.ndarray

    def __len__(self) -> int:
        return len(self.scale)

    @classmethod
    def neutral(cls, n: int = 1, scale: float = 1.6) -> FrameParameters:
        """A plain brown-eyed eye looking straight at the camera, no blur and no noise.

        Examples
        --------
        >>> len(FrameParameters.neutral(5))
        5
        """

        def full(value) -> np.ndarray:
            value = np.asarray(value, dtype=np.float64)
            return np.broadcast_to(value, (n, *value.shape)).copy()

        texture = np.array([[11.0, 0.3, 0.10], [17.0, 1.1, 0.08], [29.0, 2.0, 0.06]])
        return cls(
            scale=full(scale), offset_mm=full([0.0, 0.0]), roll_rad=full(0.0), nasal=full(1.0),
            eye_width_mm=full(29.0), upper_lid_mm=full(4.6), lower_lid_mm=full(3.6),
            upper_rest_mm=full(4.6), lid_power=full(0.6), upper_peak=full(0.12),
            lower_peak=full(-0.15), crease_mm=full(4.0), crease_depth=full(0.25),
            brow_mm=full(11.0), brow_darkness=full(0.6), ball_radius_mm=full(12.0),
            iris_center_mm=full([0.0, 0.0]), iris_squash=full(1.0), iris_squash_dir=full(0.0),
            iris_radius_mm=full(5.9), pupil_radius_mm=full(2.2),
            iris_rgb=full([0.35, 0.22, 0.12]), sclera_rgb=full([0.92, 0.89, 0.86]),
            skin_rgb=full([0.80, 0.62, 0.52]), hair_rgb=full([0.20, 0.14, 0.10]),
            iris_texture=full(texture), limbus_darkness=full(0.45),
            glint_mm=full([1.2, -1.5]), glint_radius_mm=full(0.35), glint_strength=full(0.9),
            lash_mm=full(1.1), lash_darkness=full(0.85), lid_shadow=full(0.35),
            gain=full(1.0), ambient=full(0.0), gradient=full([0.0, 0.0]), blur_px=full(0.0),
            noise=full(0.0),
        )

    def take(self, index) -> FrameParameters:
        """The frames at ``index`` (an integer array, slice or boolean mask)."""
        return replace(self, **{f.name: getattr(self, f.name)[index] for f in fields(self)})


# ---------------------------------------------------------------------------- helpers
def _col(values: np.ndarray) -> np.ndarray:
    """(n,) -> (n, 1, 1) for broadcasting over rows and columns."""
    return np.asarray(values, dtype=np.float64)[:, None, None]


def _rgb(values: np.ndarray) -> np.ndarray:
    """(n, 3) -> (n, 1, 1, 3)."""
    return np.asarray(values, dtype=np.float64)[:, None, None, :]


def _ramp(distance: np.ndarray, pixel_mm: np.ndarray) -> np.ndarray:
    """Anti-aliased inside-mask from a signed distance (positive inside), one pixel wide."""
    return np.clip(distance / pixel_mm + 0.5, 0.0, 1.0)


def _lid_profile(t: np.ndarray, peak: np.ndarray, power: np.ndarray) -> np.ndarray:
    """Lid height profile along the eye: 0 at the corners (t = +-1), 1 at ``t = peak``."""
    left = (t - peak) / (1.0 + peak)
    right = (t - peak) / (1.0 - peak)
    s = np.where(t < peak, left, right)
    return np.clip(1.0 - s * s, 0.0, 1.0) ** power


def _over(base: np.ndarray, colour: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Alpha-composite ``colour`` over ``base`` (alpha (n, h, w), colours (..., 3))."""
    alpha = alpha[..., None]
    return base * (1.0 - alpha) + colour * alpha


def gaussian_blur(images: np.ndarray, sigma_px: np.ndarray) -> np.ndarray:
    """Blur each image of a batch with its own Gaussian sigma (pixels), in the Fourier domain.

    Parameters
    ----------
    images : numpy.ndarray
        ``(n, h, w)`` or ``(n, h, w, c)`` floats.
    sigma_px : numpy.ndarray
        ``(n,)`` sigmas; 0 leaves an image unchanged.

    Examples
    --------
    >>> img = np.zeros((2, 9, 9)); img[:, 4, 4] = 1.0
    >>> out = gaussian_blur(img, np.array([0.0, 1.0]))
    >>> round(float(out[0, 4, 4]), 6), round(float(out[1].sum()), 3), bool(out[1, 4, 4] < 0.2)
    (1.0, 1.0, True)
    """
    sigma_px = np.asarray(sigma_px, dtype=np.float64)
    if not np.any(sigma_px > 0):
        return images
    pad = int(np.ceil(3.0 * sigma_px.max())) + 1
    widths = [(0, 0), (pad, pad), (pad, pad)] + [(0, 0)] * (images.ndim - 3)
    padded = np.pad(images, widths, mode="reflect")
    h, w = padded.shape[1:3]
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    s2 = (sigma_px**2)[:, None, None]
    kernel = np.exp(-2.0 * np.pi**2 * s2 * (fy**2 + fx**2))
    if images.ndim == 4:
        kernel = kernel[..., None]
    spectrum = np.fft.rfft2(padded, axes=(1, 2)) * kernel
    out = np.fft.irfft2(spectrum, s=(h, w), axes=(1, 2))
    return out[:, pad:-pad, pad:-pad]


# ---------------------------------------------------------------------------- the renderer
def render_eyes(
    params: FrameParameters,
    image_size: tuple[int, int] = (64, 36),
    color: bool = False,
    rng: np.random.Generator | None = None,
    chunk: int = 256,
) -> np.ndarray:
    """Render a batch of eye crops.

    Parameters
    ----------
    params : FrameParameters
        One entry per frame.
    image_size : (int, int)
        Width and height of the crops in pixels.
    color : bool
        RGB ``(n, h, w, 3)`` when true, grayscale ``(n, h, w)`` otherwise.
    rng : numpy.random.Generator, optional
        Source of the sensor noise (a fixed default when omitted, so renders are repeatable).
    chunk : int
        Frames rendered at a time (bounds the memory use).

    Returns
    -------
    numpy.ndarray
        uint8 images.

    Examples
    --------
    >>> img = render_eyes(FrameParameters.neutral(1))[0]
    >>> bool(img[18, 32] < 40), bool(img[18, 8] > 100)   # dark pupil in the middle, bright rim
    (True, True)
    """
    width, height = (int(v) for v in image_size)
    rng = np.random.default_rng(0) if rng is None else rng
    out = []
    for start in range(0, len(params), chunk):
        part = params.take(slice(start, start + chunk))
        rgb = _render_float(part, width, height)
        image = rgb if color else rgb @ LUMA
        image = gaussian_blur(image, part.blur_px)
        image = _add_noise(image, part.noise, rng)
        out.append(np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8))
    if not out:
        shape = (0, height, width, 3) if color else (0, height, width)
        return np.zeros(shape, dtype=np.uint8)
    return np.concatenate(out)


def _add_noise(image: np.ndarray, sigma: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Read noise of sigma ``sigma`` plus shot noise whose variance grows with the signal."""
    if not np.any(sigma > 0):
        return image
    shape = (-1,) + (1,) * (image.ndim - 1)
    s = np.asarray(sigma, dtype=np.float64).reshape(shape)
    std = np.sqrt(s**2 + (1.5 * s) ** 2 * np.clip(image, 0.0, 1.0))
    return image + std * rng.standard_normal(image.shape)


def _render_float(p: FrameParameters, width: int, height: int) -> np.ndarray:
    """Noise- and blur-free RGB rendering, floats ``(n, h, w, 3)`` in about 0..1."""
    s = _col(p.scale)
    pixel = 1.0 / s  # one pixel in millimetres
    # Crop pixel centres -> eye-plane millimetres (x right, y down), origin at the canthal
    # midpoint, rotated into the eye's own frame.
    cols = (np.arange(width) + 0.5 - width / 2.0)[None, None, :]
    rows = (np.arange(height) + 0.5 - height / 2.0)[None, :, None]
    u = cols / s - _col(p.offset_mm[:, 0])
    v = rows / s - _col(p.offset_mm[:, 1])
    cos_r, sin_r = _col(np.cos(p.roll_rad)), _col(np.sin(p.roll_rad))
    x = cos_r * u + sin_r * v
    y = -sin_r * u + cos_r * v
    nasal = _col(p.nasal)
    half = _col(p.eye_width_mm) / 2.0
    t = x / half * nasal  # -1 temporal corner .. +1 nasal corner

    # Lid curves.
    power = _col(p.lid_power)
    y_up = -_col(p.upper_lid_mm) * _lid_profile(t, _col(p.upper_peak), power)
    y_lo = _col(p.lower_lid_mm) * _lid_profile(t, _col(p.lower_peak), power + 0.25)
    opening = _ramp(np.minimum(y - y_up, y_lo - y), pixel) * _ramp((1.0 - np.abs(t)) * half, pixel)

    # ---- skin
    skin = np.broadcast_to(_rgb(p.skin_rgb), (*x.shape, 3)).astype(np.float64)
    rest = _col(p.upper_rest_mm)
    socket = 1.0 - 0.16 * np.exp(-((x / (1.25 * half)) ** 2) - ((y + 1.0) / 8.0) ** 2)
    t_crease = x / (1.12 * half)
    crease_y = -(rest + _col(p.crease_mm)) * np.clip(1 - t_crease**2, 0, 1) ** 0.5
    crease = _col(p.crease_depth) * np.exp(-(((y - crease_y) / 0.9) ** 2))
    crease *= np.clip(1.3 - np.abs(t_crease), 0.0, 1.0)
    lid_skin = 1.0 + 0.06 * ((y < y_up) & (y > crease_y))  # the lid catches a little light
    under = 0.12 * np.exp(-(((y - y_lo - 2.8) / 2.2) ** 2) - (x / (1.3 * half)) ** 2)
    skin = skin * (socket * (1.0 - crease) * lid_skin * (1.0 - under))[..., None]

    # Eyebrow (visible only in tall crops).
    t_brow = x / (1.45 * half)
    brow_y = -(rest + _col(p.brow_mm)) - 1.5 * np.clip(1 - t_brow**2, 0, 1)
    hairs = 0.75 + 0.25 * np.sin(9.0 * x + 3.0 * y)
    brow = _col(p.brow_darkness) * np.exp(-(((y - brow_y) / 2.2) ** 4)) * hairs
    brow *= np.clip(1.15 - np.abs(t_brow), 0.0, 1.0) ** 0.5
    skin = _over(skin, _rgb(p.hair_rgb), np.clip(brow, 0.0, 1.0))

    # ---- eyeball: sclera
    ball_r = _col(p.ball_radius_mm)
    shade = np.clip(1.0 - 0.75 * (x**2 + (0.6 * y) ** 2) / ball_r**2, 0.0, 1.0)
    ball = _rgb(p.sclera_rgb) * (0.55 + 0.45 * shade)[..., None]
    caruncle = np.exp(-(((t - 0.93) * half / 1.3) ** 2) - (y / 1.2) ** 2)
    ball = _over(ball, _CARUNCLE_RGB, 0.85 * caruncle)

    # Iris and pupil: an ellipse squashed along the direction of the eye's rotation.
    dx = x - _col(p.iris_center_mm[:, 0])
    dy = y - _col(p.iris_center_mm[:, 1])
    cos_d, sin_d = _col(np.cos(p.iris_squash_dir)), _col(np.sin(p.iris_squash_dir))
    along = (cos_d * dx + sin_d * dy) / np.maximum(_col(p.iris_squash), 0.2)
    across = -sin_d * dx + cos_d * dy
    rho = np.hypot(along, across)  # radius in the iris plane (mm)
    theta = np.arctan2(across, along)
    r_iris = _col(p.iris_radius_mm)
    r_pupil = _col(p.pupil_radius_mm)
    fibres = np.ones_like(rho)
    for k in range(p.iris_texture.shape[1]):
        freq, phase, amp = (_col(p.iris_texture[:, k, j]) for j in range(3))
        fibres += amp * np.sin(freq * theta + phase + 0.8 * rho)
    radial = (rho - r_pupil) / np.maximum(r_iris - r_pupil, 0.1)  # 0 at pupil .. 1 at limbus
    limbus = 1.0 - _col(p.limbus_darkness) * np.clip((radial - 0.7) / 0.3, 0.0, 1.0) ** 1.5
    collarette = 1.0 + 0.18 * np.exp(-(((radial - 0.3) / 0.12) ** 2))
    iris_colour = _rgb(p.iris_rgb) * (fibres * limbus * collarette)[..., None]
    ball = _over(ball, iris_colour, _ramp(r_iris - rho, pixel))
    ball = _over(ball, _PUPIL_RGB, _ramp(r_pupil - rho, pixel))

    # Corneal reflection (only on the cornea) and the upper lid's shadow.
    gx = x - _col(p.glint_mm[:, 0])
    gy = y - _col(p.glint_mm[:, 1])
    glint_r = np.maximum(_col(p.glint_radius_mm), 0.5 * pixel)
    glint = _col(p.glint_strength) * np.exp(-(gx**2 + gy**2) / (2.0 * glint_r**2))
    glint *= _ramp(1.05 * r_iris - rho, pixel)
    ball = ball + glint[..., None] * (1.0 - ball)
    below_lid = np.clip(y - y_up, 0.0, None)
    ball = ball * (1.0 - _col(p.lid_shadow) * np.exp(-below_lid / 1.0))[..., None]

    image = _over(skin, ball, opening)

    # ---- eyelashes: a lash line along the upper lid and strokes above it, a faint lower line.
    above = y_up - y  # height above the upper lid margin (mm)
    along_t = np.clip(1.0 - t**2, 0.0, 1.0)
    lash_len = _col(p.lash_mm) * (0.35 + 0.65 * along_t ** 0.5) * (1.0 + 0.3 * (t < 0))
    slant = x - 0.7 * nasal * above  # lashes lean towards the temple
    strokes = 0.55 + 0.45 * np.cos(2.0 * np.pi * slant / 0.9) ** 2
    lash = _ramp(lash_len - above, pixel) * _ramp(above + 0.25, pixel) * strokes
    line = np.exp(-(((y - y_up + 0.1) / (0.45 + 0.3 * pixel)) ** 2))
    inside = np.clip((1.0 - np.abs(t)) * half / 1.0, 0.0, 1.0)  # fades over 1 mm at a corner
    lash = np.maximum(lash, line) * inside
    lower_line = 0.35 * np.exp(-(((y - y_lo - 0.15) / (0.3 + 0.3 * pixel)) ** 2))
    lash = np.maximum(lash, lower_line * inside)
    image = _over(image, _LASH_RGB, _col(p.lash_darkness) * np.clip(lash, 0.0, 1.0))

    # ---- lighting
    half_w = width / 2.0 / s
    half_h = height / 2.0 / s
    ramp = 1.0 + _col(p.gradient[:, 0]) * u / half_w + _col(p.gradient[:, 1]) * v / half_h
    image = image * (_col(p.gain) * np.clip(ramp, 0.2, None))[..., None]
    return image + _col(p.ambient)[..., None]
