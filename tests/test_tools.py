"""The wrapper every external program runs through: large pandoc runs take turns, the urgent one first."""

from __future__ import annotations

import threading
import time

from imprenta.pandocast import dumps
from imprenta.tools import LARGE_PANDOC_INPUT, PANDOC_TURNS, run_pandoc


def _large_document(word: str) -> bytes:
    words = [{"t": "Str", "c": word}, {"t": "Space"}] * (LARGE_PANDOC_INPUT // 20)
    payload = dumps({"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": [{"t": "Para", "c": words}]})
    assert len(payload) > LARGE_PANDOC_INPUT
    return payload


def test_large_pandoc_runs_take_turns_and_the_urgent_one_goes_first() -> None:
    finished: list[str] = []

    def convert(name: str, urgent: bool) -> None:
        def run() -> None:
            out = run_pandoc(["--from", "json", "--to", "plain"], input_bytes=_large_document(name), what=name,
                             urgent=urgent)
            assert out.stdout.startswith(name.encode())
            finished.append(name)

        if urgent:
            with PANDOC_TURNS.urgent():
                run()
        else:
            run()

    with PANDOC_TURNS.turn():  # another large run is going on: neither may start
        plain = threading.Thread(target=convert, args=("docx", False))
        plain.start()
        time.sleep(0.5)  # the DOCX reaches its turn first
        urgent = threading.Thread(target=convert, args=("html", True))
        urgent.start()
        time.sleep(0.5)
        assert finished == []
    plain.join(60)
    urgent.join(60)
    assert finished == ["html", "docx"]  # the urgent run went first although it came second


def test_a_small_run_does_not_wait_for_a_large_one() -> None:
    with PANDOC_TURNS.turn():
        out = run_pandoc(["--from", "json", "--to", "plain"], what="pequeño",
                         input_bytes=dumps({"pandoc-api-version": [1, 23, 1], "meta": {},
                                            "blocks": [{"t": "Para", "c": [{"t": "Str", "c": "hola"}]}]}))
    assert out.stdout.strip() == b"hola"
