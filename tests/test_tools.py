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


def test_work_waiting_for_calm_starts_after_the_announced_urgent_work_even_if_it_starts_first() -> None:
    order: list[str] = []
    end = PANDOC_TURNS.announce()  # the pipeline announces the PDF before any format starts

    def docx() -> None:
        PANDOC_TURNS.calm()
        order.append("docx prepares")

    def pdf() -> None:
        with PANDOC_TURNS.carrying(end):
            time.sleep(0.3)
            with PANDOC_TURNS.urgent():
                time.sleep(0.3)
                order.append("pdf html")
            order.append("pdf lays out")  # the announcement ended with the urgent block, not with the format
            time.sleep(0.3)

    first = threading.Thread(target=docx)
    first.start()  # the DOCX starts first, as the pipeline submits it first
    second = threading.Thread(target=pdf)
    second.start()
    first.join(10)
    second.join(10)
    assert order[0] == "pdf html"
    assert set(order[1:]) == {"docx prepares", "pdf lays out"}


def test_an_announced_format_that_fails_first_does_not_leave_the_others_waiting() -> None:
    end = PANDOC_TURNS.announce()
    waited = threading.Event()

    def docx() -> None:
        PANDOC_TURNS.calm()
        waited.set()

    thread = threading.Thread(target=docx)
    thread.start()
    try:
        with PANDOC_TURNS.carrying(end):
            assert not waited.wait(0.3)
            raise RuntimeError("la plantilla no existe")
    except RuntimeError:
        pass
    assert waited.wait(5)
    thread.join(5)
    end()  # more than once is harmless
    PANDOC_TURNS.calm()  # nothing is left announced
