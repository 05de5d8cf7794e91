"""Drawn mouths at full size (issue 14): the cartoon sample and a smiley's mouth.

- A mesh mouth on a drawing's bare paint gets no crease at rest; the drawn mouth the mesh
  missed is the one that talks, and it opens along the line its lips meet in.
- A face drawn in flat paint opens onto a flat inside, outlined in its line; a line drawn
  on bare paint (the bear sample's) is wiped as the mouth opens, not smeared into streaks.

(Photos and paintings: test_mouth_full_size.py; lips placed by hand carried onto a drawn
line: test_manual_fit.py.)
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.render import frame_landmarks, render_frame
from engine.render import topology as topo
from tests.full_size import LUMA, ROOT, polygon_mask


def test_a_mouth_the_mesh_placed_on_bare_paint_gets_no_crease(closed_lips) -> None:
    """The face mesh fits the cartoon sample a human mouth a little above the drawn one,
    on the head's flat paint: its lips, the skin and what lies between them are one
    colour. (The analysis moves it onto the drawn mouth, below; a mouth it cannot find
    stays on the paint, as here, with the detector's own landmarks.) The rest pose closes
    that "mouth"; closing it hides nothing, and no crease is drawn there (before: a grey
    line across the skin at every rest). A photo's mouth is not bare."""
    from engine import Animation, analyse_audio, analyse_portrait, load_audio
    from engine.face import detect_faces
    from engine.media.image import load_image
    from engine.render.mouth import bare_mouth
    from engine.settings import Settings

    image = load_image(ROOT / "assets" / "samples" / "cartoon_head.png")
    portrait = analyse_portrait(image, landmarks=detect_faces(image.rgb)[0].landmarks)
    rig = portrait.rig
    assert bare_mouth(rig) and not bare_mouth(closed_lips[1])
    voice = analyse_audio(load_audio(ROOT / "assets" / "samples" / "voice_grid_s1.wav"))
    motion = Animation(portrait, voice, Settings(fps=25)).motion
    assert motion.mouth_open[0] == 0.0  # the voice starts in silence: the mouth at rest
    out = render_frame(rig, motion, 0)
    xy = frame_landmarks(rig, motion, 0)
    # where the mesh's lips meet, and the picture there was the skin's paint
    meet = polygon_mask(out.shape, np.concatenate([xy[topo.LIPS_INNER_UPPER],
                                                   xy[topo.LIPS_INNER_LOWER][::-1]]))
    meet = cv2.dilate(meet.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    skin = np.abs(portrait.image.rgb.astype(np.float32) - rig.skin_rgb).max(axis=-1) < 6
    luma = out[..., :3].astype(np.float32) @ LUMA
    # measured: 7 % of them darker than the skin by 10 (the drawn mouth's edge, moved up
    # by the rest pose), 55 % with the crease
    assert (meet & skin).sum() > 200
    assert (luma[meet & skin] < float(rig.skin_rgb @ LUMA) - 10).mean() < 0.15


def test_a_drawn_mouth_the_mesh_missed_is_the_one_that_talks() -> None:
    """On the cartoon sample the mesh's mouth lies on bare paint above the drawn one; the
    analysis moves it onto the drawn mouth (``engine.face.drawn_mouth``), whose skin is
    flat paint, so the mouth that opens is the drawn one, onto a painted inside (not
    GRID s1's photographed teeth). Measured: the inner lips' middle 37 and 3 pixels above
    the drawn mouth before, on it now; at the widest frame 0 white (teeth) pixels in the
    drawn mouth's box before, 151 now. A photo's landmarks are left as found."""
    from engine import Animation, analyse_audio, analyse_portrait, load_audio
    from engine.face import detect_faces
    from engine.face.drawn_mouth import on_drawn_mouth
    from engine.media.image import load_image
    from engine.settings import Settings

    image = load_image(ROOT / "assets" / "samples" / "cartoon_head.png")
    portrait = analyse_portrait(image)
    rig = portrait.rig
    assert rig.paint
    skin = np.array([255, 214, 204], np.float32)
    drawn = np.linalg.norm(image.rgb.astype(np.float32) - skin, axis=-1) > 40
    for i in (13, 14):  # the inner lips' middle, on the drawn mouth (its ink or its lips)
        x, y = np.round(rig.landmarks[i, :2]).astype(int)
        assert drawn[y - 3:y + 4, x - 3:x + 4].any(), (i, x, y)
    voice = analyse_audio(load_audio(ROOT / "assets" / "samples" / "voice_grid_s1.wav"))
    motion = Animation(portrait, voice, Settings(fps=25)).motion
    out = render_frame(rig, motion, int(np.argmax(motion.mouth_open)))[..., :3]
    box = out[470:530, 130:320].astype(np.float32)
    white = (box.min(axis=-1) > 200) & (np.abs(box - skin).max(axis=-1) > 30)
    assert white.sum() > 50
    astronaut = load_image(ROOT / "assets" / "samples" / "astronaut.png").rgb
    found = detect_faces(astronaut)[0].landmarks
    assert on_drawn_mouth(astronaut, found) is found


def test_a_drawn_mouth_opens_along_the_line_its_lips_meet_in() -> None:
    """The cartoon sample's drawn mouth: an outline round an orange upper and lower lip
    that meet in a black line, whose left corner curls up to the outline. The mesh's inner
    lips are carried onto that line from one corner to the other, so the mouth opens where
    the drawn lips part, with the upper lip's paint above the gap. Measured: the upper
    lip's orange lies above 17 of the 18 inner-lip points now (the last at the thin right
    corner); 10 before, when the line was aimed straight at the corners and the left half
    of the inner lips lay on the outline (the open mouth then zigzagged across the upper
    lip)."""
    from engine import analyse_portrait
    from engine.face.drawn_mouth import _INNER_LOWER, _INNER_UPPER
    from engine.media.image import load_image

    image = load_image(ROOT / "assets" / "samples" / "cartoon_head.png")
    rig = analyse_portrait(image).rig
    rgb = image.rgb[..., :3].astype(np.float32)
    lip = (rgb @ LUMA > 100) & (rgb[..., 0] - rgb[..., 2] > 120)  # orange paint: no ink, no skin
    above = []
    for i in _INNER_UPPER + _INNER_LOWER:
        x, y = np.round(rig.landmarks[i, :2]).astype(int)
        above.append(bool(lip[max(y - 40, 0):y, x].any()))
    assert sum(above) >= 16, above


def test_a_mouth_drawn_as_two_lines_has_no_line_between_them() -> None:
    """A column down a smiley's mouth drawn as two black lines round red lips, each line
    with an anti-aliased pixel outside it: both lines are its outline, and no meeting line
    lies between them (the middle of the column is taken instead). Taken as inner lines
    before, they drew the smiley's inner lips from one outline to the other in turn."""
    from engine.face.drawn_mouth import _meeting_line

    black, red, edge = 0.0, 76.0, 136.0  # luma
    column = np.array([edge] + [black] * 7 + [red] * 11 + [black] * 7 + [edge])
    assert _meeting_line(column, None) is None
    three = np.array([edge] + [black] * 4 + [red] * 5 + [black] * 3 + [red] * 5 + [black] * 4
                     + [edge])
    assert _meeting_line(three, None) == 11  # the middle line of three


def test_a_flat_drawing_opens_onto_a_flat_inside() -> None:
    """The cartoon sample (flat paint) opened by the sample voice: its mouth's inside is
    drawn as a cartoonist draws one (``engine.render.flat_mouth``), a hole of one colour
    and white teeth with crisp edges, outlined in the line its lips met in. Measured at
    the widest frame, inside the inner lips (2 pixels in): the three commonest colours
    (6-level bins) cover 96 % of the pixels, from 71 bins; with the shaded inside made
    for a photographed animal, 40 % from 149 (a brown gradient under grey, blurred
    teeth)."""
    from engine import Animation, analyse_audio, analyse_portrait, load_audio
    from engine.media.image import load_image
    from engine.settings import Settings

    portrait = analyse_portrait(load_image(ROOT / "assets" / "samples" / "cartoon_head.png"))
    rig = portrait.rig
    assert rig.paint
    voice = analyse_audio(load_audio(ROOT / "assets" / "samples" / "voice_grid_s1.wav"))
    motion = Animation(portrait, voice, Settings(fps=25)).motion
    k = int(np.argmax(motion.mouth_open))
    out = render_frame(rig, motion, k)[..., :3].astype(np.float32)
    xy = frame_landmarks(rig, motion, k)[:, :2]
    inside = polygon_mask(out.shape, np.concatenate([xy[topo.LIPS_INNER_UPPER],
                                                     xy[topo.LIPS_INNER_LOWER][::-1]]))
    inside = cv2.erode(inside.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    px = out[inside]
    assert len(px) > 1000
    _, counts = np.unique(np.round(px / 6.0).astype(int), axis=0, return_counts=True)
    assert np.sort(counts)[::-1][:3].sum() > 0.85 * len(px)
    # the teeth are white, not the drawing's lavender eye whites nor s1's grey
    assert (px.min(axis=-1) > 235).sum() > 0.1 * len(px)
    # Its lips meet in a black line (``flat_mouth.drawn_line``): the open mouth is outlined
    # with it, so the upper lip's inner edge is ink, not the teeth's white (237-250 at
    # four of its middle five points without the outline).
    assert rig.paint is not None and rig.paint.line is not None
    edge = [out[int(round(y)), int(round(x))] @ LUMA for x, y in xy[topo.LIPS_INNER_UPPER[3:8]]]
    assert max(edge) < 40, edge
    # Lips of their own colour lie along that line: it is not wiped (its lips would be
    # left unoutlined), unlike a line drawn on bare paint (below).
    assert rig.paint.wiped is None


def test_a_line_drawn_on_bare_paint_opens_without_streaks() -> None:
    """The bear sample's mouth is a dark brown line on its cream muzzle. Opened by
    stretching the picture, the line smeared into brown streaks over the lower lip and
    past the corners (620 dark pixels at the widest frame beyond a line's width of the
    inner lips, the line from the nose left out). The line is wiped from the lips as the
    mouth opens and drawn again round the gap (``flat_mouth.bare_line``, ``wipe_line``):
    none. Its width is read against the muzzle's paint (4.6 px; against the cheek's colour,
    read on the green fur, 0.5 px: the outline was a hairline)."""
    from engine import Animation, analyse_audio, analyse_portrait, load_audio
    from engine.face.fit import fit_face, load_points_json
    from engine.media.image import load_image

    image = load_image(ROOT / "assets" / "samples" / "drawn_face.png")
    points = load_points_json(ROOT / "assets" / "samples" / "drawn_face.json", image.rgb.shape)
    portrait = analyse_portrait(image, landmarks=fit_face(points, image.rgb.shape))
    rig = portrait.rig
    assert rig.paint is not None and rig.paint.line is not None and rig.paint.wiped is not None
    ink, width = rig.paint.line
    assert 3.5 < width < 6.0 and float(ink @ LUMA) < 60, (ink, width)
    voice = analyse_audio(load_audio(ROOT / "assets" / "samples" / "voice_grid_s1.wav"))
    motion = Animation(portrait, voice).motion
    k = int(np.argmax(motion.mouth_open))
    out = render_frame(rig, motion, k)[..., :3].astype(np.float32)
    xy = frame_landmarks(rig, motion, k)[:, :2]
    dark = out @ LUMA < 105  # the muzzle's paint 210, its red lip 128
    reach = 2 * int(np.ceil(width)) + 5
    mouth = polygon_mask(out.shape, xy[topo.LIPS_INNER])
    mouth = cv2.dilate(mouth.astype(np.uint8), np.ones((reach, reach), np.uint8)) > 0
    (x0, y0), (x1, y1) = (xy[topo.LIPS_OUTER].min(0) - 0.08 * rig.iod).astype(int), \
        (xy[topo.LIPS_OUTER].max(0) + 0.08 * rig.iod).astype(int)
    near = np.zeros_like(mouth)
    near[y0:y1, x0:x1] = True
    nose = int(xy[13, 0])  # the line from the nose comes down to the middle of the mouth
    near[:, nose - int(0.04 * rig.iod):nose + int(0.04 * rig.iod)] = False
    assert (dark & near & ~mouth).sum() < 20
    # drawn again round the gap: the inner lips' edge is the line's ink
    edge = [out[int(round(y)), int(round(x))] @ LUMA for x, y in xy[topo.LIPS_INNER]]
    assert np.mean(np.array(edge) < 105) > 0.9, edge
