"""Pieces of ``tools/eval_watermark.py`` (the entry point and its CLI live there).

* :mod:`.common`: paths, frame rate, the attack list, the shared logger;
* :mod:`.media`: PyAV/OpenCV reading and H.264 writing;
* :mod:`.exports`: the marked test exports (real Talkie ones or animated stills);
* :mod:`.attacks`: the re-encode attacks;
* :mod:`.scoring`: verifying each export under each attack, and the GRID null run;
* :mod:`.report`: the Markdown table in the docs.

Like the engine's other tools these import ``engine`` by name, so the repo root
must be on ``sys.path`` first (the entry point sees to that).
"""
