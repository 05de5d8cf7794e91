"""Write ``assets/motion/README.md`` from the figures of ``tools/measure_grid.py``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "assets" / "motion"


def write_readme(res: dict, seconds: float) -> None:
    lines = []
    ph = res["phones"]
    desc = res["phone_descriptors"]
    for i, p in enumerate(ph):
        jaw, gap, width, protr, llr = desc[i]
        lines.append(f"| {p} | {res['phone_class'][i]} | {res['phone_counts'][i]} | "
                     f"{gap:+.3f} | {jaw:+.3f} | {width:+.3f} | {protr:+.3f} | {llr:+.3f} |")
    cls_lines = []
    for i, c in enumerate(res["classes"]):
        jaw, gap, width, protr, llr = res["class_descriptors"][i]
        cls_lines.append(f"| {c} | {gap:+.3f} | {jaw:+.3f} | {width:+.3f} | {protr:+.3f} |"
                         f" {llr:+.3f} |")
    iqr = res["blink_duration_iqr"]
    text = f"""# Measured motion: phone mouth shapes and blinks (GRID s1)

Made by `tools/measure_grid.py` (landmark extraction about 0.05 s per frame
per core, cached and resumable; the analysis {seconds:.0f} s). Data: the
GRID audio-visual corpus, speaker s1 (CC BY 4.0; Cooke, Barker, Cunningham
and Shao, "An audio-visual corpus for speech perception and automatic speech
recognition", JASA 120(5), 2006).

## What was measured, and how
- **Clips:** {int(res['n_clips'])} of the 1000 s1 clips, evenly spread over the
  sorted list; {int(res['n_frames'])} video frames (25 fps,
  {int(res['n_frames']) / 25 / 60:.1f} minutes).
- **Landmarks:** the engine's own face models (`engine.face`): the detector on
  every 10th frame, the 468-point landmark model on every frame in the last
  detection's region (GRID speakers barely move), aligned to the canonical
  frame with `engine.face.align.to_canonical` (pose removed, inter-ocular
  distance 1). All figures below are in those canonical units.
- **Rest pose:** per clip, the median canonical face over the frames that the
  `.align` file marks `sil` (0.1 s away from speech).
- **Phone timings:** pocketsphinx forced alignment of each clip's words
  (from `.align`) with the cmudict and en-us model in the pocketsphinx wheel
  ({int(res['n_forced_aligned'])} of {int(res['n_clips'])} clips; on the others pocketsphinx's
  phone-level pass failed, and each `.align` word span was split evenly over
  its dictionary phones).
- **Basis:** uncentred PCA (SVD) of the displacement from rest of the
  mouth/jaw/cheek landmarks (weight 1 below the nose tip, fading out over
  0.25 units above it) over all speech frames; K = {res['basis'].shape[0]}
  components hold {100 * float(res['energy'].sum()):.1f} % of the energy
  (first: {100 * float(res['energy'][0]):.1f} %). Coefficient 0 is the rest pose.
- **Table:** for each phone, the median basis coefficients of the frame at the
  phone's centre; also per viseme class.
- **Blinks:** eye aspect ratio (mean lid gap of the inner lid points over eye
  width, both eyes averaged) per frame; closure = 1 - EAR / (clip's 90th
  percentile). A blink (`engine.motion.blink_detect.find_blinks`) is a
  transient at least 0.12 above the 1 s running median, peaking above 0.22,
  closing within 2 frames (80 ms; downward glances are slower); two peaks in
  one run with a dip below half the lower are two blinks. Checked by eye on crops of the video:
  the lids are shut at such peaks, even though the landmark model reads
  only 0.25-0.45 closure. Duration = full width at half peak, converted to
  the engine's blink-profile duration (`engine.motion.blinks.blink_profile`).
- **AV lag:** inner-lip gap (13-14) against loudness (`engine.audio.features.loudness`).

## Figures
- Blinks: **{int(res['blink_count'])}** found, rate **{float(res['blink_rate_per_min']):.1f} per
  minute**.
- Blink duration (profile duration, blinks not cut by a clip edge): median
  **{float(res['blink_duration_median']) * 1000:.0f} ms**, IQR
  {iqr[0] * 1000:.0f}-{iqr[1] * 1000:.0f} ms,
  mean {float(res['blink_duration_mean']) * 1000:.0f} ms;
  log-normal fit mu = {float(res['blink_lognormal_mu']):.2f}, sigma =
  {float(res['blink_lognormal_sigma']):.2f}. Full width at half closure: median
  {float(res['blink_fwhm_median']) * 1000:.0f} ms.
- Blink depth: median peak closure {float(res['blink_peak_closure_median']):.2f} of the open
  EAR (the landmark model never closes the lids fully, so depth is relative:
  rise above baseline over its 90th percentile); {100 * float(res['blink_partial_fraction']):.0f} %
  of blinks reach less than 75 % of a full one (mean relative depth of those
  {float(res['blink_partial_depth']):.2f}).
- Gaps between blinks in the same clip (end to next onset): shortest
  {float(res['blink_gap_min']) * 1000:.0f} ms, 5th percentile
  {float(res['blink_gap_p05']) * 1000:.0f} ms;
  onset-to-onset intervals ({int(res['blink_n_intervals'])} pairs, censored by 3 s clips): median
  {float(res['blink_interval_median']):.2f} s, CV {float(res['blink_interval_cv']):.2f}.
- Mouth opening vs loudness (real s1 mouths): best lag {int(res['av_lag_frames'])} frames
  (positive = mouth after sound), r = {float(res['av_lag_r']):.2f}.
- Validation on {int(res.get('val_clips', 0))} held-out s1 clips (not in the table): the
  engine's phonetic lip gap (`engine.motion.phonetic`, phones from
  `recognise_phones`, the same path as the app) against the real lip gap:
  median r = {float(res.get('val_r_median', np.nan)):.2f}, median best lag
  {float(res.get('val_lag_real_median', np.nan)):+.0f} frames; its best lag against loudness is
  within +-1 frame on {100 * float(res.get('val_lag_loud_within1', np.nan)):.0f} % of clips.

### Phones (canonical units; + gap = lips apart, + jaw = chin down, + width =
corners apart, + protrusion = lips towards the camera)

| phone | class | n | lip gap | jaw drop | lip width | protrusion | lower-lip raise |
|---|---|---|---|---|---|---|---|
{chr(10).join(lines)}

### Viseme classes

| class | lip gap | jaw drop | lip width | protrusion | lower-lip raise |
|---|---|---|---|---|---|
{chr(10).join(cls_lines)}

## Files
- `phonetic_shapes.npz`: `basis (K,468,3) float32`, `phones`, `phone_coeffs (P,K)`,
  `phone_counts`, `phone_class`, `classes`, `class_coeffs (C,K)`, descriptors,
  `mouth_weights (468,)`, blink and lag statistics (scalars). Loaded by
  `engine.motion.phonetic` and `engine.motion.blinks`.
"""
    (OUT / "README.md").write_text(text)
