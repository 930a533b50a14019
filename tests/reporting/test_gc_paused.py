"""Laying out a PDF pauses the cyclic garbage collector, and always gives it back."""

from __future__ import annotations

import gc
import threading

import pytest

from surveyapp.reporting import exports
from surveyapp.reporting.exports import gc_paused, report_pdf

HTML = "<!doctype html><html lang=en><title>t</title><p>Gap report</p></html>"


@pytest.fixture(autouse=True)
def _collector_running():
    gc.enable()
    yield
    gc.enable()


def test_a_pdf_is_laid_out_with_the_collector_paused_and_it_runs_again_after(monkeypatch):
    import weasyprint

    seen: list[bool] = []
    real = weasyprint.HTML.write_pdf

    def write_pdf(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        seen.append(gc.isenabled())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", write_pdf)
    pdf = report_pdf(HTML)
    assert pdf.startswith(b"%PDF")
    assert seen == [False]
    assert gc.isenabled()


def test_a_failed_render_gives_the_collector_back(monkeypatch):
    import weasyprint

    def broken(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        raise RuntimeError("layout failed")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)
    with pytest.raises(RuntimeError):
        report_pdf(HTML)
    assert gc.isenabled()
    assert exports._GCPause.holders == 0


def test_the_collector_resumes_when_the_last_of_several_renders_ends():
    first_in, second_done, release = threading.Event(), threading.Event(), threading.Event()
    states: dict[str, bool] = {}

    def first() -> None:
        with gc_paused():
            first_in.set()
            release.wait(5)
            states["first, after the second left"] = gc.isenabled()

    def second() -> None:
        first_in.wait(5)
        with gc_paused():
            states["second, inside"] = gc.isenabled()
        states["second, after leaving"] = gc.isenabled()
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    second_done.wait(5)
    release.set()
    for t in threads:
        t.join(5)
    assert states == {
        "second, inside": False,
        "second, after leaving": False,  # the first render is still laying out
        "first, after the second left": False,
    }
    assert gc.isenabled()


def test_a_collector_switched_off_elsewhere_stays_off():
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
