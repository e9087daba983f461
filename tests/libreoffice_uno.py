"""Drive the real LibreOffice through its UNO API (Debian's python3-uno): run by the system Python, not the venv.

    /usr/bin/python3 tests/libreoffice_uno.py redlines DOCUMENT          the tracked changes, as JSON lines
    /usr/bin/python3 tests/libreoffice_uno.py accept DOCUMENT OUT.txt    accept all, save the text
    /usr/bin/python3 tests/libreoffice_uno.py reject DOCUMENT OUT.txt    reject all, save the text
    /usr/bin/python3 tests/libreoffice_uno.py text DOCUMENT OUT.txt      save the text as it is
    /usr/bin/python3 tests/libreoffice_uno.py annotate DOCUMENT OUT SPEC.json
                                      annotate as an entity would (see annotate()), save as OUT (.docx or .odt)

accept, reject and text print one JSON line: the redlines left and the text of every footnote.

The tests call it through `uno_run()` in conftest; each call starts its own headless office with a private profile.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]


def _props(**values: object) -> tuple:
    out = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        out.append(prop)
    return tuple(out)


def _connect(profile: Path, pipe: str) -> tuple[subprocess.Popen, object, object]:
    """Start a headless office on a private profile; return it, its component context and its desktop."""
    office = subprocess.Popen(
        ["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
         f"-env:UserInstallation={profile.as_uri()}", f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(600):
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return office, context, context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except Exception as exc:  # noqa: BLE001 - the office is still starting
            if office.poll() is not None:
                raise SystemExit("LibreOffice terminó antes de aceptar la conexión") from exc
            time.sleep(0.1)
    raise SystemExit("LibreOffice no aceptó la conexión en 60 s")


def _range_text(redline: object) -> str:
    try:
        start, end = redline.RedlineStart, redline.RedlineEnd
        cursor = start.getText().createTextCursorByRange(start)
        cursor.gotoRange(end, True)
        return cursor.getString()
    except Exception:  # noqa: BLE001 - a range across cells or a paragraph mark alone
        return ""


def _place(redline: object) -> str:
    """Where a redline starts: "tabla" (a cell), "nota" (a footnote) or "texto"."""
    text = redline.RedlineStart.getText()
    if text.supportsService("com.sun.star.text.Footnote"):
        return "nota"
    if text.supportsService("com.sun.star.table.Cell") or text.supportsService("com.sun.star.text.CellProperties"):
        return "tabla"
    return "texto"


def _redlines(document: object) -> list[dict[str, str]]:
    out = []
    enumeration = document.getRedlines().createEnumeration()
    while enumeration.hasMoreElements():
        redline = enumeration.nextElement()
        out.append({"tipo": redline.RedlineType, "autor": redline.RedlineAuthor, "texto": _range_text(redline),
                    "lugar": _place(redline)})
    return out


def _set_author(context: object, name: str) -> None:
    """The user's name in the private profile: LibreOffice signs comments and tracked changes with it."""
    provider = context.ServiceManager.createInstanceWithContext("com.sun.star.configuration.ConfigurationProvider",
                                                                context)
    access = provider.createInstanceWithArguments("com.sun.star.configuration.ConfigurationUpdateAccess",
                                                  _props(nodepath="/org.openoffice.UserProfile/Data"))
    access.setPropertyValue("givenname", name)
    access.setPropertyValue("sn", "")
    access.commitChanges()


def _find(document: object, text: str, where: str) -> object:
    """The range holding text: in the body (tables included) or in a footnote."""
    if where == "nota":
        notes = document.getFootnotes()
        for index in range(notes.getCount()):
            note = notes.getByIndex(index)
            content = note.getString()
            at = content.find(text)
            if at >= 0:
                cursor = note.createTextCursor()
                cursor.gotoStart(False)
                cursor.goRight(at, False)
                cursor.goRight(len(text), True)
                return cursor
        raise SystemExit(f"no está en ninguna nota: {text}")
    descriptor = document.createSearchDescriptor()
    descriptor.SearchString = text
    found = document.findFirst(descriptor)
    if found is None:
        raise SystemExit(f"no se encontró: {text}")
    return found


def annotate(context: object, desktop: object, document: object, actions: list[dict]) -> None:
    """Each action in turn, as an entity does it in Writer:
    {"comentar": TEXT, "texto": COMMENT, "en": "cuerpo"|"nota"|"tabla", "responder": REPLY}
    {"cambiar": TEXT, "por": NEW, "controlado": true|false}   (false: tracking switched off first)"""
    controller = document.getCurrentController()
    frame = controller.getFrame()
    dispatch = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", context)
    author = desktop_author[0]
    replies: list[str] = []
    for action in actions:
        if "comentar" in action:
            target = _find(document, action["comentar"], action.get("en", "cuerpo"))
            field = document.createInstance("com.sun.star.text.TextField.Annotation")
            field.Author = author
            field.Content = action["texto"]
            field.DateTimeValue = _now()
            target.getText().insertTextContent(target, field, True)
            if action.get("responder"):  # a reply needs Writer's own command: the API has no parent to set
                controller.select(target)
                dispatch.executeDispatch(frame, ".uno:ReplyComment", "", 0, _props(Id=field.Name))
                replies.append(action["responder"])
        elif "cambiar" in action:
            if not action.get("controlado", True):  # the entity lifts the protection and stops tracking
                document.setPropertyValue("RedlineProtectionKey", uno.ByteSequence(b""))
                document.RecordChanges = False
            target = _find(document, action["cambiar"], action.get("en", "cuerpo"))
            target.setString(action["por"])
            if not action.get("controlado", True):
                document.RecordChanges = True
    for field in _annotations(document):  # the replies Writer made, given their text
        if replies and field.Content.startswith("Reply to"):
            field.Content = replies.pop(0)
            field.Author = author


def _now() -> object:
    import datetime

    from com.sun.star.util import DateTime  # type: ignore[import-not-found]

    now = datetime.datetime.now(datetime.UTC)
    return DateTime(0, now.second, now.minute, now.hour, now.day, now.month, now.year, True)


def _annotations(document: object) -> list:
    out = []
    fields = document.getTextFields().createEnumeration()
    while fields.hasMoreElements():
        field = fields.nextElement()
        if field.supportsService("com.sun.star.text.TextField.Annotation"):
            out.append(field)
    return out


desktop_author = [""]


def main() -> None:
    command, document_path = sys.argv[1], Path(sys.argv[2]).resolve()
    with tempfile.TemporaryDirectory(prefix="imprenta-uno-") as tmp:
        office, context, desktop = _connect(Path(tmp) / "perfil", f"imprenta{os.getpid()}")
        spec = json.loads(Path(sys.argv[4]).read_text(encoding="utf-8")) if command == "annotate" else {}
        if spec.get("autor"):
            _set_author(context, spec["autor"])
            desktop_author[0] = spec["autor"]
        try:
            # A private copy: no lock file beside the original, and nothing written to it.
            copy = Path(tmp) / f"documento{document_path.suffix}"
            shutil.copyfile(document_path, copy)
            document = desktop.loadComponentFromURL(copy.as_uri(), "_blank", 0, _props(Hidden=True))
            if document is None:
                raise SystemExit(f"LibreOffice no pudo abrir {document_path}")
            if command == "redlines":
                for item in _redlines(document):
                    print(json.dumps(item, ensure_ascii=False))
            elif command in ("accept", "reject", "text"):
                if command != "text":
                    frame = document.getCurrentController().getFrame()
                    dispatch = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper",
                                                                                context)
                    dispatch.executeDispatch(frame, ".uno:AcceptAllTrackedChanges" if command == "accept"
                                             else ".uno:RejectAllTrackedChanges", "", 0, ())
                left = len(_redlines(document))
                notes = document.getFootnotes()
                document.storeToURL(Path(sys.argv[3]).resolve().as_uri(), _props(FilterName="Text (encoded)",
                                                                              FilterOptions="UTF8,LF"))
                print(json.dumps({"quedan": left, "notas": [notes.getByIndex(i).getString()
                                                            for i in range(notes.getCount())]}, ensure_ascii=False))
            elif command == "annotate":
                annotate(context, desktop, document, spec["acciones"])
                out = Path(sys.argv[3]).resolve()
                flt = "MS Word 2007 XML" if out.suffix == ".docx" else "writer8"
                extra = {"Password": spec["contraseña"]} if spec.get("contraseña") else {}
                document.storeToURL(out.as_uri(), _props(FilterName=flt, **extra))
                print(json.dumps({"anotaciones": len(_annotations(document)), "cambios": len(_redlines(document))}))
            else:
                raise SystemExit(f"orden desconocida: {command}")
            document.close(True)
        finally:
            with contextlib.suppress(Exception):  # the bridge closes as the office quits
                desktop.terminate()
            try:
                office.wait(timeout=30)
            except subprocess.TimeoutExpired:
                office.kill()


if __name__ == "__main__":
    main()
