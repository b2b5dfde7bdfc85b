"""The classroom page in real headless Chromium, against a real gunicorn + gevent server."""

import json
import re

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect
from playwright.sync_api import Response as PageResponse

from tests.browser import TEXT, figure, open_classroom, pane, pane_settings, screenshot, send, text_of, wait_finished
from tests.servers import Server


def test_get_and_post_panes_with_different_framings_show_the_exact_reply(page: Page, gunicorn_server: Server) -> None:
    open_classroom(page, gunicorn_server, ["transport:get,delay:40", "transport:post,frame:json,chunk:word,delay:40"])
    send(page)
    expect(pane(page, 0)).to_have_attribute("data-state", "streaming")
    page.wait_for_function("() => document.querySelector('[data-role=text]').textContent.length > 5")
    screenshot(page, "get-vs-post-mid-stream")
    wait_finished(page)
    assert text_of(page, 0) == text_of(page, 1) == TEXT
    assert [pane(page, i).get_attribute("data-state") for i in (0, 1)] == ["done", "done"]
    # fetch sees the raw bytes, comments included; EventSource never shows comments.
    expect(pane(page, 1).locator(".wire-comment .lines").first).to_have_text(": ok")
    expect(pane(page, 0).locator(".wire-comment")).to_have_count(0)
    expect(pane(page, 1).locator(".wire-message .lines").first).to_have_text('id: 1\ndata: {"content": "Hi "}')
    assert int(figure(page, 1, "bytes")) > 0 and figure(page, 0, "bytes").startswith("≈")


@pytest.mark.parametrize("transport", ["get", "post", "relay"])
def test_drop_after_with_ids_reconnects_and_the_text_is_exact(page: Page, gunicorn_server: Server, transport: str) -> None:
    open_classroom(page, gunicorn_server, [f"transport:{transport},drop_after:4,retry:100,delay:10"] * 2, prompt="abcdefghij")
    send(page)
    wait_finished(page)
    assert text_of(page, 0) == "abcdefghij"
    assert figure(page, 0, "reconnects") == "2"
    notes = pane(page, 0).locator(".wire-reconnect .lines").all_text_contents()
    assert [note.split("Last-Event-ID: ")[1] for note in notes] == ["4", "8"]
    if transport == "post":  # the fetch client waits what the server's `retry: 100` said, as EventSource does
        assert all(note.startswith("↻ reconnecting in 100 ms") for note in notes)


def test_without_ids_each_reconnect_starts_over_and_duplicates(page: Page, gunicorn_server: Server) -> None:
    open_classroom(page, gunicorn_server, ["ids:off,drop_after:3,retry:100,delay:10", "transport:post,ids:off,drop_after:3,retry:100,delay:10"], prompt="abcdef")
    send(page)
    page.wait_for_function("() => document.querySelector('[data-role=text]').textContent.length >= 9")
    screenshot(page, "ids-off-duplicates")
    wait_finished(page)
    for index in (0, 1):
        assert text_of(page, index) == "abc" * 21  # the first connection and 20 reconnects, all from the start
        assert pane(page, index).get_attribute("data-state") == "stopped"
        assert figure(page, index, "reconnects") == "20"
    expect(pane(page, 0).locator(".wire-reconnect .lines").first).to_contain_text("without Last-Event-ID")


def test_end_close_over_eventsource_reconnects_once_then_gets_204(page: Page, gunicorn_server: Server) -> None:
    statuses: list[int] = []

    def note(response: PageResponse) -> None:
        if "/stream?" in response.url:
            statuses.append(response.status)

    page.on("response", note)
    open_classroom(page, gunicorn_server, ["end:close,retry:200,delay:10", "transport:post,end:close,retry:200,delay:10"], prompt="abc")
    send(page)
    wait_finished(page)
    assert statuses == [200, 204]
    for index in (0, 1):
        assert (text_of(page, index), figure(page, index, "reconnects")) == ("abc", "1")
        assert pane(page, index).get_attribute("data-state") == "closed"
        expect(pane(page, index).locator(".wire-reconnect .lines")).to_contain_text("Last-Event-ID: 3")


def test_stop_closes_the_stream_and_the_server_sees_it(page: Page, gunicorn_server: Server) -> None:
    open_classroom(page, gunicorn_server, ["transport:get", "transport:post"], prompt="Tell me about heartbeats", model="tutor")
    send(page)
    page.wait_for_function("() => [...document.querySelectorAll('[data-role=text]')].every(t => t.textContent.length > 5)")
    assert gunicorn_server.wait_for_open_streams(2) == 2
    for index in (0, 1):
        pane(page, index).locator("[data-role=stop]").click()
        expect(pane(page, index)).to_have_attribute("data-state", "stopped")
    assert gunicorn_server.wait_for_open_streams(0) == 0
    expect(pane(page, 1).locator(".wire-stopped")).to_contain_text("aborted the fetch")
    expect(pane(page, 0).locator(".wire-stopped")).to_contain_text("es.close()")



def test_a_script_in_the_prompt_shows_as_text_and_never_runs(page: Page, gunicorn_server: Server) -> None:
    dialogs: list[str] = []

    def note(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", note)
    attack = '<img src=x onerror=alert(1)><script>alert(2)</script>'
    open_classroom(page, gunicorn_server, ["delay:0", "transport:post,frame:json,chunk:word,delay:0"], prompt=attack)
    send(page)
    wait_finished(page)
    assert text_of(page, 0) == text_of(page, 1) == attack
    assert page.locator(".pane img, .pane script").count() == 0
    assert dialogs == []
    csp = page.request.get(gunicorn_server.url + "/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_errors_before_the_stream_show_the_servers_message(page: Page, gunicorn_server: Server) -> None:
    open_classroom(page, gunicorn_server, ["delay:9999", "transport:post,delay:9999"])
    send(page)
    wait_finished(page)
    for index in (0, 1):
        assert pane(page, index).get_attribute("data-state") == "error"
        expect(pane(page, index).locator("[data-role=notice]")).to_contain_text(
            "400: delay must be a whole number of milliseconds from 0 to 5000")


def test_an_error_frame_mid_stream_ends_the_pane_with_the_message(page: Page, gunicorn_server: Server) -> None:
    open_classroom(page, gunicorn_server, ["error_at:3,delay:10", "transport:post,frame:json,error_at:3,delay:10"], prompt="abcdef")
    send(page)
    wait_finished(page)
    for index in (0, 1):
        assert (text_of(page, index), pane(page, index).get_attribute("data-state")) == ("ab", "error")
        expect(pane(page, index).locator("[data-role=notice]")).to_contain_text("simulated error at chunk 3")


def test_the_openai_pane_reads_real_chunks_and_its_faults(page: Page, gunicorn_server: Server) -> None:
    """The OpenAI pane: the raw chat.completion.chunk bytes, the exact text, and each fault as an SDK sees it
    (an error object ends it with the message; a cut connection is an error, never a reconnect).

    A broken transfer errors the browser's ReadableStream, and the Streams standard then discards what
    was queued but not yet read: what arrived shortly before the cut may be lost (on a busy machine, all
    of it). Hence any start of "ab": the pane's point is the error, never a reconnect."""
    panes = ["transport:openai,delay:10", "transport:openai,error_at:3,delay:10", "transport:openai,drop_after:2,delay:100"]
    open_classroom(page, gunicorn_server, panes, prompt="ab 你好 🙂")
    for name in ("frame", "end", "ids", "newline", "pitfall"):  # OpenAI's format fixes the framing
        expect(pane(page, 0).locator(f"[name={name}]").locator("xpath=..")).to_be_hidden()
    send(page)
    wait_finished(page)
    assert (text_of(page, 0), pane(page, 0).get_attribute("data-state")) == ("ab 你好 🙂", "done")
    wire = pane(page, 0).locator("[data-role=wire]")
    expect(wire).to_contain_text('"object": "chat.completion.chunk"')
    expect(wire).to_contain_text('"choices": [], "usage": {"prompt_tokens": 7')  # the usage chunk, before [DONE]
    assert (text_of(page, 1), pane(page, 1).get_attribute("data-state")) == ("ab", "error")
    expect(pane(page, 1).locator("[data-role=notice]")).to_contain_text("simulated error at chunk 3")
    assert "ab".startswith(text_of(page, 2)) and pane(page, 2).get_attribute("data-state") == "error"
    expect(pane(page, 2).locator("[data-role=notice]")).to_contain_text("cut before [DONE]")
    assert figure(page, 2, "reconnects") in ("0", "–")


def test_blocking_shows_nothing_until_the_whole_reply_is_ready(page: Page, gunicorn_server: Server) -> None:
    open_classroom(page, gunicorn_server, ["transport:blocking", "transport:post"], prompt="abcdefghijkl")
    send(page)
    page.wait_for_function("() => document.querySelectorAll('[data-role=text]')[1].textContent.length >= 3")
    assert text_of(page, 0) == ""  # 12 chunks x 100 ms: the blocking answer is still a second away
    screenshot(page, "blocking-vs-streaming-mid-stream")
    wait_finished(page)
    assert text_of(page, 0) == text_of(page, 1) == "abcdefghijkl"


def test_presets_and_url_state_round_trip(page: Page, gunicorn_server: Server) -> None:
    page.goto(gunicorn_server.url + "/")
    page.locator("#large").check()
    menus = {menu: page.locator(f"#{menu} option:not([value=''])").evaluate_all("options => options.map(o => o.value)")
             for menu in ("comparisons", "pitfall-presets")}
    assert (len(menus["comparisons"]), len(menus["pitfall-presets"])) == (8, 15)
    for menu, choices in menus.items():
        for choice in choices:
            page.locator(f"#{menu}").select_option(choice)
            expect(page.locator("textarea[name=prompt]")).to_be_focused()  # Enter sends right away
            expect(page.locator("#watch")).to_be_visible()  # every comparison says what to watch
            shown = (pane_settings(page), page.locator("textarea[name=prompt]").input_value(),
                     page.locator("select[name=model]").input_value(), page.locator("#watch").inner_text())
            page.goto(page.url)
            again = (pane_settings(page), page.locator("textarea[name=prompt]").input_value(),
                     page.locator("select[name=model]").input_value(), page.locator("#watch").inner_text())
            assert again == shown, choice
            assert page.locator(f"#{menu}").input_value() == choice
            assert page.evaluate("document.documentElement.classList.contains('large')")
    page.locator("textarea[name=prompt]").fill("Round trip 你好")
    page.locator("select[name=model]").select_option("echo")
    page.locator("#comparisons").select_option("reconnect")
    assert [settings["ids"] for settings in pane_settings(page)] == ["on", "off"]
    expect(pane(page, 1).locator("summary")).to_have_text("ids off · retry 500 ms · drop after 15 · char · 100 ms · plain · end sentinel")  # what differs first
    page.locator("#add-pane").click()
    pane(page, 2).locator("summary").click()  # the options fold under a one-line summary
    pane(page, 2).locator("select[name=frame]").select_option("json")
    expect(pane(page, 2).locator("summary")).to_have_text("json · char · 100 ms · end sentinel · ids on")
    page.goto(page.url)
    assert pane_settings(page)[2]["frame"] == "json"
    screenshot(page, "large-text")


def test_the_six_connection_limit_is_explained_instead_of_hanging(browser: Browser, gunicorn_server: Server) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        first, second = context.new_page(), context.new_page()
        panes = ["transport:get", "transport:post", "transport:get", "transport:post"]
        for tab in (first, second):
            open_classroom(tab, gunicorn_server, panes, prompt="Tell me about heartbeats", model="tutor")
            send(tab)
        notices = second.locator("[data-role=notice]:visible")
        expect(notices.first).to_contain_text("at most six connections", timeout=10_000)
        screenshot(second, "six-connection-limit")
        first.locator("#stop-all").click()  # gives connections back: the waiting panes start
        second.wait_for_function("() => [...document.querySelectorAll('.pane')].every(p => p.dataset.state !== 'connecting')")
        expect(notices).to_have_count(0)
        second.locator("#stop-all").click()
    finally:
        context.close()
    assert gunicorn_server.wait_for_open_streams(0) == 0


def test_a_get_prompt_too_long_for_the_url_is_explained(page: Page, gunicorn_server: Server) -> None:
    """gunicorn refuses the request line itself (414): the pane says why, and what to do in the page."""
    open_classroom(page, gunicorn_server, ["delay:0", "transport:post,delay:0"])
    page.locator("textarea[name=prompt]").fill("你" * 1000)  # too long even for the page's own URL
    send(page)
    wait_finished(page)
    expect(pane(page, 0).locator("[data-role=notice]")).to_contain_text("414: the URL is too long")
    expect(pane(page, 1).locator("[data-role=reply]")).to_have_text("你" * 1000)
    page.reload()  # the page's URL left the prompt out, so it loads again
    expect(page.locator(".pane")).to_have_count(2)


def test_cross_origin_eventsources_the_browser_refuses_leave_no_stream_counted(page: Page, gunicorn_server: Server, flask_server: Server) -> None:
    """No CORS headers, so Chromium drops each response as it arrives: under flask run that leaked a count, 36 of 40."""
    page.goto(gunicorn_server.url + "/healthz")  # another origin than flask_server's (the port differs)
    url = f"{flask_server.url}/stream?prompt=Hi&model=echo&delay=0"
    states = page.evaluate(
        """url => Promise.all(Array.from({length: 40}, () => new Promise(done => {
            const source = new EventSource(url);
            source.onerror = () => { done(source.readyState); source.close(); };
        })))""",
        url,
    )
    assert states == [2] * 40  # CLOSED: the browser refused every one
    assert flask_server.wait_for_open_streams(0) == 0


def test_every_option_of_the_schema_has_a_control_and_works(page: Page, gunicorn_server: Server) -> None:
    """The controls come from the server's schema: heartbeat, missing from the page before, is there."""
    open_classroom(page, gunicorn_server, ["transport:post,heartbeat:0.1,delay:300", "heartbeat:0.1,delay:300"], prompt="ab")
    for name in ["chunk", "delay", "frame", "end", "ids", "retry", "heartbeat", "drop_after", "error_at", "stall"]:
        expect(pane(page, 0).locator(f"[name={name}]")).to_have_count(1)
    expect(pane(page, 0).locator("summary")).to_have_text("300 ms · heartbeat 0.1 s · char · plain · end sentinel · ids on")
    send(page)
    wait_finished(page)
    expect(pane(page, 0).locator("[data-role=wire]")).to_contain_text(": ping")  # fetch shows comments
    assert text_of(page, 0) == text_of(page, 1) == "ab"


# One line each: nothing a teacher reads from the back row may wrap onto a second line.
LAYOUT = """() => {
    const box = (e) => e.getBoundingClientRect();
    const visible = (e) => box(e).width > 0;
    const oneRow = (parent) => {
        const tops = [...parent.children].filter(visible).map((e) => Math.round(box(e).top + box(e).height / 2));
        return Math.max(...tops) - Math.min(...tops) <= 3;
    };
    const oneLine = (e) => {  // its text is not wrapped: every piece of it sits on the same line
        const range = document.createRange();
        range.selectNodeContents(e);
        const tops = [...range.getClientRects()].map((r) => r.top + r.height / 2);
        return tops.length === 0 || Math.max(...tops) - Math.min(...tops) <= 8;
    };
    const unwrapped = (parent) => oneRow(parent) && [...parent.children].filter(visible).filter((e) => e.tagName !== 'TEXTAREA').every(oneLine);
    const panes = [...document.querySelectorAll('.pane')];
    return {
        ask: unwrapped(document.querySelector('.ask')),
        toolbar: unwrapped(document.querySelector('.toolbar')),
        heads: panes.map((p) => oneRow(p.querySelector('.pane-head'))
                                && [...p.querySelector('.pane-head').children].every((e) => box(e).right <= box(p).right)),
        summaries: panes.map((p) => { const s = p.querySelector('summary'); return s.scrollHeight <= s.clientHeight + 2; }),
        figures: panes.map((p) => [...p.querySelectorAll('.figures div')].filter(visible)
                                     .every((d) => Math.abs(box(d.firstElementChild).top - box(d.lastElementChild).top) <= 3)),
        times: [...document.querySelectorAll('.wire .time')].every((t) => t.scrollWidth <= t.clientWidth + 1),
        replies: panes.map((p) => Math.round(box(p.querySelector('[data-role=reply]')).height)),
        wires: panes.map((p) => Math.round(box(p.querySelector('[data-role=wire]')).height)),
        inside: panes.every((p) => box(p.querySelector('[data-role=wire]')).bottom <= box(p).bottom),
        bottom: Math.max(...panes.map((p) => box(p).bottom)),
    };
}"""


def test_the_page_in_chinese_on_a_projector(page: Page, gunicorn_server: Server) -> None:
    """?lang=zh, large text, three panes at 1280x720: every word in Chinese, nothing wraps, no console errors."""
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    panes = ["transport:get", "transport:post,client:no-stream-decode,split:on", "transport:blocking"]
    open_classroom(page, gunicorn_server, panes, prompt="你好，世界 🙂 Hello 👍🏽 👩‍💻", query="lang=zh&large=1&preset=no-stream-decode")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    expect(page.locator("#watch summary")).to_contain_text("看什么")
    expect(page.locator(".send")).to_have_text("发送")
    send(page)
    wait_finished(page)
    expect(pane(page, 0).locator("[data-role=notice]")).to_contain_text("码位")  # why 👍🏽 arrived in pieces
    expect(pane(page, 2).locator("[data-role=notice]")).to_be_hidden()  # a blocking reply arrives whole
    expect(pane(page, 2).locator("[data-figure=events]")).to_be_hidden()  # ... with no events to count
    expect(pane(page, 2).locator("[name=frame]")).to_be_hidden()
    assert "\ufffd" in text_of(page, 1) and text_of(page, 0) == text_of(page, 2) == "你好，世界 🙂 Hello 👍🏽 👩‍💻"
    screenshot(page, "projector-zh-1280x720")
    layout = page.evaluate(LAYOUT)
    assert layout["ask"] and layout["toolbar"] and layout["times"], layout
    assert all(layout["heads"]) and all(layout["summaries"]) and all(layout["figures"]), layout
    assert min(layout["replies"]) >= 50 and min(layout["wires"]) >= 50 and layout["bottom"] <= 720 and layout["inside"], layout
    assert console == []


def test_spot_the_bug_as_a_quiz_on_a_projector(page: Page, gunicorn_server: Server) -> None:
    """English, large text, answers hidden, and a no-cleanup pane (so the open-streams figure shows):
    every control stays on one row; the class sees the symptom only, until the teacher reveals the rest."""
    panes = ["transport:post,pitfall:no-cleanup", "transport:post", "transport:get,client:no-close"]
    open_classroom(page, gunicorn_server, panes, query="lang=en&large=1&quiz=1&preset=no-cleanup")
    assert page.locator("#pitfall-presets option").all_inner_texts()[1:3] == ["Bug 1", "Bug 2"]
    expect(page.locator("#open-streams")).to_have_text(re.compile(r"^open streams: \d+$"))
    expect(page.locator("#watch [data-role=title]")).to_have_text("Bug 7")  # no-cleanup, the seventh
    expect(page.locator("#watch [data-role=symptom]")).to_contain_text("Press Stop")
    assert page.locator("#watch").evaluate("w => w.open") is False  # the projector keeps the panes' room
    page.locator("#watch summary").click()
    expect(page.locator("#watch [data-role=answer]")).to_be_hidden()
    for index in (0, 2):  # the mistakes' names stay out of the summaries
        expect(pane(page, index).locator("summary .mistake")).to_be_hidden()
        assert not re.search("no-cleanup|no-close|mistake", pane(page, index).locator("summary").inner_text())
    screenshot(page, "quiz-projector-en-1280x720")
    layout = page.evaluate(LAYOUT)
    assert layout["ask"] and layout["toolbar"] and all(layout["heads"]) and all(layout["summaries"]), layout
    assert min(layout["wires"]) >= 100 and layout["bottom"] <= 720, layout
    page.locator("#watch [data-role=reveal]").click()
    expect(page.locator("#watch [data-role=title]")).to_have_text("no cleanup")
    expect(page.locator("#watch [data-role=answer]")).to_contain_text("GeneratorExit")
    page.locator("#quiz").uncheck()
    expect(pane(page, 0).locator("summary")).to_contain_text("no-cleanup")
    assert page.locator("#pitfall-presets option").all_inner_texts()[1] == "no blank line"
    layout = page.evaluate(LAYOUT)  # the menus name the bugs again: the longest choices there are
    assert layout["ask"] and layout["toolbar"], layout
    assert "quiz" not in page.url


def test_a_conversation_sends_history_with_post_and_says_why_get_cannot(page: Page, gunicorn_server: Server) -> None:
    open_classroom(page, gunicorn_server, ["transport:post,end:event,delay:0", "transport:get,delay:0"], prompt="Hi", query="history=1")
    expect(page.locator("#conversation")).to_be_checked()
    send(page)
    wait_finished(page)
    page.locator("textarea[name=prompt]").fill("again")
    send(page)
    wait_finished(page)
    # The second POST carried the first turn: the server counted it in the usage of its end event.
    usage = json.loads(pane(page, 0).locator(".wire-end .lines").last.inner_text().split("data: ", 1)[1])["usage"]
    assert usage["prompt_chars"] == len("Hi" + "Hi" + "again")
    assert figure(page, 0, "history") == "4"
    expect(pane(page, 1).locator("[data-role=notice]")).to_contain_text("EventSource can only send a URL")
    page.locator("#conversation").uncheck()  # a new conversation
    assert figure(page, 0, "history") == "0"


@pytest.mark.parametrize("preset", ["get-vs-post", "plain-vs-json", "end-signals", "reconnect", "chunking", "blocking",
                                    "api-formats", "relay"])
def test_each_comparison_shows_what_its_note_says(page: Page, gunicorn_server: Server, preset: str) -> None:
    page.goto(gunicorn_server.url + "/?lang=en")
    page.locator("#comparisons").select_option(preset)
    note = page.locator("#watch").inner_text()
    lesson = page.locator("#watch [data-role=lesson]").get_attribute("href") or ""
    assert lesson.startswith("/lessons/") and page.request.get(gunicorn_server.url + lesson).ok  # the lesson that teaches it
    if preset != "chunking":  # the others keep the teacher's prompt: a short one here
        page.locator("select[name=model]").select_option("echo")
        page.locator("textarea[name=prompt]").fill({"plain-vs-json": "a\n b", "reconnect": "abcdefghijklmnopqrst"}.get(preset, "abcdef"))
    prompt = page.locator("textarea[name=prompt]").input_value()
    send(page)
    if preset == "reconnect":  # ids resume exactly; without ids each reconnect starts over
        assert "repeats" in note
        wait_state_of(page, 0, "done")
        page.wait_for_function("n => document.querySelectorAll('[data-role=text]')[1].textContent.length >= n", arg=30)
        assert text_of(page, 0) == prompt and text_of(page, 1).startswith(prompt[:15] * 2)
        page.locator("#stop-all").click()
        return
    if preset == "blocking":
        assert "nothing until the whole reply" in note
        page.wait_for_function("() => document.querySelectorAll('[data-role=text]')[1].textContent.length >= 2")
        assert text_of(page, 0) == ""
    wait_finished(page)
    states = [pane(page, i).get_attribute("data-state") for i in range(page.locator(".pane").count())]
    texts = [text_of(page, i) for i in range(len(states))]
    assert texts == [prompt] * len(states)
    if preset == "get-vs-post":
        assert "never sees comments" in note
        expect(pane(page, 1).locator(".wire-comment")).to_have_count(1)
        expect(pane(page, 0).locator(".wire-comment")).to_have_count(0)
    elif preset == "plain-vs-json":
        assert "one data: line per line" in note
        expect(pane(page, 0).locator(".wire-message .lines", has_text="data: \ndata: ")).to_have_count(1)
        expect(pane(page, 1).locator(".wire-message .lines", has_text='{"content": "\\n"}')).to_have_count(1)
    elif preset == "end-signals":
        assert "one reconnect, and then closed" in note
        assert states == ["done", "done", "closed"] and figure(page, 2, "reconnects") == "1"
    elif preset == "chunking":
        assert "Count the events" in note and "👍🏽" in note
        events = [int(figure(page, i, "events")) for i in range(3)]
        assert events[0] == len(prompt) + 1 and events[0] > events[1] > events[2] == 2  # [DONE] included
        expect(pane(page, 0).locator("[data-role=notice]")).to_contain_text("one code point per event")
    elif preset == "api-formats":
        assert "chat.completion.chunk" in note
        expect(pane(page, 0).locator("[data-role=wire]")).to_contain_text('"object": "chat.completion.chunk"')
    elif preset == "relay":
        assert "passing each piece on" in note and states == ["done", "done"]


def wait_state_of(page: Page, index: int, state: str) -> None:
    expect(pane(page, index)).to_have_attribute("data-state", state, timeout=30_000)
