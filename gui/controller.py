"""What every controller of the studio holds: the document, the undo stack, the notices.

Controllers change the document (undoably through the stack) and talk to the
artist through :class:`gui.notices.Notices`; they never reach into the window.
``dialog_parent`` only parents the file dialogs and questions they open.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QWidget

from gui.document import Document
from gui.notices import Notices
from gui.recent import RecentFiles


class Controller(QObject):
    def __init__(self, doc: Document, undo: QUndoStack, notices: Notices, recent: RecentFiles,
                 dialog_parent: QWidget) -> None:
        super().__init__(dialog_parent)
        self.doc = doc
        self.undo = undo
        self.notices = notices
        self.recent = recent
        self.dialog_parent = dialog_parent
