"""Headless Chromium for the page's tests, as a pytest plugin: Debian's /usr/bin/chromium driven by
the playwright package (never a downloaded browser), and helpers that read the classroom page."""

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, expect, sync_playwright

from tests.servers import ROOT

CHROMIUM = os.environ.get("STREAMLAB_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = ROOT / "test-artifacts"
TEXT = "Hi 你好，世界 🙂\nline 2,  spaced"  # Chinese, an emoji, a line break, two spaces
FINISHED = "['done', 'closed', 'error', 'stopped']"


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():  # a failure, never a skip: `bash scripts/test` installs it as root
        pytest.fail(f"no Chromium at {CHROMIUM}: install it (Debian and Ubuntu: `sudo apt-get install chromium`) or set "
                    f"STREAMLAB_CHROMIUM to its path. 找不到 Chromium（{CHROMIUM}）：请先安装（Debian、Ubuntu："
                    "`sudo apt-get install chromium`），或把 STREAMLAB_CHROMIUM 设为它的路径。", pytrace=False)
    browser = launch(playwright)
    yield browser
    browser.close()


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium (or STREAMLAB_CHROMIUM), with this project's flags: the tests' and the graders'."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A 1280x720 page that must not throw, and must not show a word missing from its language's table."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    shown = page.evaluate("document.body.innerText + [...document.querySelectorAll('[title], [aria-label], [placeholder]')]"
                          ".map(e => e.title + e.ariaLabel + (e.placeholder ?? '')).join(' ')")
    context.close()
    assert errors == [], "the page threw"
    assert UNTRANSLATED.findall(shown) == [], "a key shown instead of its words: add it to static/i18n/*.json"


# What t() shows for a key missing from the table: the key itself, e.g. "end.no-content".
UNTRANSLATED = re.compile(r"\b(?:page|ask|toolbar|watch|pane|transport|figure|state|option|help|unit|wire|end|notice|preset)"
                          r"\.[a-z][\w-]*")


class Served(Protocol):
    """Anything StreamLab answers at: a server, or a cluster of them behind nginx."""

    url: str


def open_classroom(page: Page, server: Served, panes: list[str], prompt: str = TEXT, model: str = "echo", query: str = "") -> None:
    """Open the page on these panes (each as in the URL, "transport:post,frame:json"); query adds to the URL."""
    state = urlencode([("prompt", prompt), ("model", model), *[("pane", pane) for pane in panes]])
    page.goto(f"{server.url}/?{state}&{query}")
    expect(page.locator(".pane")).to_have_count(len(panes))


def send(page: Page) -> None:
    page.locator("textarea[name=prompt]").press("Enter")


def wait_finished(page: Page, timeout: float = 30_000) -> None:
    page.wait_for_function(f"() => [...document.querySelectorAll('.pane')].every(p => {FINISHED}.includes(p.dataset.state))", timeout=timeout)


def pane(page: Page, index: int) -> Locator:
    return page.locator(".pane").nth(index)


def text_of(page: Page, index: int) -> str:
    return pane(page, index).locator("[data-role=text]").text_content() or ""


def figure(page: Page, index: int, name: str) -> str:
    return pane(page, index).locator(f"[data-figure={name}]").text_content() or ""


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png")


def pane_settings(page: Page) -> list[dict[str, str]]:
    return page.evaluate("""() => [...document.querySelectorAll('.pane')].map(p =>
        Object.fromEntries([...p.querySelectorAll('select, input')].map(c => [c.name, c.value])))""")
