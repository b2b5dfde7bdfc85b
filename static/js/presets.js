// One click loads a classroom comparison. Each pane lists what differs from the defaults; a preset
// may also set the prompt and model its point needs, and names the lesson (lessons/<slug>) that teaches it. Its words (title, what to watch, why, the fix)
// are in static/i18n/*.json under preset.<id>; the lines of code that differ are the same in
// every language, so they are here.

export const COMPARISONS = [
  { id: 'get-vs-post', lesson: '04-eventsource', panes: [{ transport: 'get' }, { transport: 'post' }] },
  { id: 'plain-vs-json', lesson: '06-json-frames', panes: [{ transport: 'post' }, { transport: 'post', frame: 'json' }] },
  { id: 'end-signals', lesson: '07-ending-a-stream', panes: [{ end: 'sentinel' }, { end: 'event' }, { end: 'close', retry: '1000' }] },
  { id: 'reconnect', lesson: '08-reconnect-resume', panes: [{ drop_after: '15', retry: '500' }, { drop_after: '15', retry: '500', ids: 'off' }] },
  {
    id: 'chunking', lesson: '03-sse-wire-format', prompt: 'Hi 👍🏽 👩‍💻 你好', model: 'echo',
    panes: [{ chunk: 'char' }, { chunk: 'word' }, { chunk: 'sentence' }],
  },
  { id: 'blocking', lesson: '01-why-stream', panes: [{ transport: 'blocking' }, { transport: 'post' }] },
  {
    id: 'api-formats', lesson: '13-api-formats', prompt: 'Hi 你好 🙂', model: 'echo',
    panes: [{ transport: 'openai' }, { transport: 'post', frame: 'json' }],
  },
  { id: 'relay', lesson: '14-relay', panes: [{ transport: 'relay' }, { transport: 'get' }] },
];

const CHINESE_AND_EMOJI = 'Hello, 你好，世界 🙂 streaming!';

// Spot the bug: each pitfall broken (left) beside fixed (right), on the same prompt. The server's wire
// mistakes run on POST panes, whose wire view shows the bytes as they came (a GET pane rebuilds it from events).
export const PITFALLS = [
  {
    id: 'no-blank-line', lesson: '03-sse-wire-format', prompt: 'Where did my reply go?', model: 'echo',
    panes: [{ transport: 'post', pitfall: 'no-blank-line', retry: '2000' }, { transport: 'post' }],
    code: { broken: 'yield f"data: {text}\\n"', fixed: 'yield f"data: {text}\\n\\n"' },
  },
  {
    id: 'raw-newlines', lesson: '03-sse-wire-format', prompt: 'line 1\nline 2\nline 3', model: 'echo',
    panes: [{ transport: 'post', pitfall: 'raw-newlines', chunk: 'word' }, { transport: 'post', chunk: 'word' }],
    code: { broken: 'yield f"data: {text}\\n\\n"', fixed: 'yield "".join(f"data: {line}\\n" for line in text.split("\\n")) + "\\n"' },
  },
  {
    id: 'no-space', lesson: '03-sse-wire-format', prompt: 'Spaces vanish between the words', model: 'echo',
    panes: [{ transport: 'post', pitfall: 'no-space' }, { transport: 'post' }],
    code: { broken: 'yield f"data:{text}\\n\\n"', fixed: 'yield f"data: {text}\\n\\n"' },
  },
  {
    id: 'end-without-data', lesson: '07-ending-a-stream', prompt: 'Are we there yet?', model: 'echo',
    panes: [{ end: 'event', pitfall: 'end-without-data', retry: '1000' }, { end: 'event', retry: '1000' }],
    code: { broken: 'yield "event: end\\n\\n"', fixed: 'yield "event: end\\ndata: {}\\n\\n"' },
  },
  {
    id: 'buffered', lesson: '09-heartbeats-proxies', prompt: 'Nothing, nothing, and then everything at once.', model: 'echo',
    panes: [{ transport: 'post', pitfall: 'buffered' }, { transport: 'post' }],
    code: { broken: 'proxy_buffering on;', fixed: 'proxy_buffering off;   # or the header X-Accel-Buffering: no' },
  },
  {
    id: 'relay-buffered', lesson: '14-relay', prompt: 'Nothing, nothing, and then everything at once.', model: 'echo',
    panes: [{ transport: 'relay', pitfall: 'buffered' }, { transport: 'relay' }],
    code: { broken: 'upstream = client.send(ask)               # reads the whole answer first', fixed: 'upstream = client.send(ask, stream=True)  # then yield each piece as it arrives' },
  },
  {
    id: 'no-cleanup', lesson: '10-cancel-cleanup', prompt: "Press Stop after a few words: the left pane's reply goes on, for nobody.", model: 'echo',
    panes: [{ transport: 'post', pitfall: 'no-cleanup' }, { transport: 'post' }],
    code: { broken: 'Thread(target=produce_reply).start()   # nobody stops it', fixed: 'try: yield from reply\nfinally: reply.close()   # GeneratorExit when the client leaves' },
  },
  {
    id: 'no-204', lesson: '07-ending-a-stream', prompt: 'Hi', model: 'echo',
    panes: [{ end: 'close', pitfall: 'no-204', retry: '1000' }, { end: 'close', retry: '1000' }],
    code: { broken: 'return stream_from(last_event_id)   # 200, empty', fixed: 'if last_event_id >= total: return Response(status=204)' },
  },
  {
    id: 'naive-parser', lesson: '05-fetch-stream', prompt: CHINESE_AND_EMOJI, model: 'echo',
    panes: [{ transport: 'post', client: 'naive-parser', split: 'on' }, { transport: 'post', split: 'on' }],
    code: { broken: "for (const block of text.split('\\n\\n'))", fixed: "buffer += text; const blocks = buffer.split(/\\r\\n\\r\\n|\\n\\n|\\r\\r/); buffer = blocks.pop();" },
  },
  {
    id: 'crlf', lesson: '05-fetch-stream', prompt: CHINESE_AND_EMOJI, model: 'echo',
    panes: [{ transport: 'post', client: 'naive-parser', newline: 'crlf' }, { transport: 'post', newline: 'crlf' }],
    code: { broken: "text.split('\\n\\n')", fixed: 'text.split(/\\r\\n|\\r|\\n/)   # then a blank line ends the event' },
  },
  {
    id: 'no-stream-decode', lesson: '05-fetch-stream', prompt: CHINESE_AND_EMOJI, model: 'echo',
    panes: [{ transport: 'post', client: 'no-stream-decode', split: 'on' }, { transport: 'post', split: 'on' }],
    code: { broken: 'decoder.decode(bytes)', fixed: 'decoder.decode(bytes, { stream: true })' },
  },
  {
    id: 'parse-done', lesson: '06-json-frames', prompt: 'JSON everywhere', model: 'echo',
    panes: [{ transport: 'post', client: 'parse-done', frame: 'json' }, { transport: 'post', frame: 'json' }],
    code: { broken: 'const { content } = JSON.parse(event.data);', fixed: "if (event.data === '[DONE]') return finish();\nconst { content } = JSON.parse(event.data);" },
  },
  {
    id: 'onmessage-only', lesson: '04-eventsource', prompt: 'Again?', model: 'echo',
    panes: [{ client: 'onmessage-only', end: 'event', ids: 'off', retry: '1000' }, { end: 'event', ids: 'off', retry: '1000' }],
    code: { broken: 'source.onmessage = show;', fixed: "source.onmessage = show;\nsource.addEventListener('end', finish);" },
  },
  {
    id: 'no-close', lesson: '04-eventsource', prompt: 'Again?', model: 'echo',
    panes: [{ client: 'no-close', ids: 'off', retry: '1000' }, { ids: 'off', retry: '1000' }],
    code: { broken: "if (event.data === '[DONE]') return;", fixed: "if (event.data === '[DONE]') return source.close();" },
  },
  {
    id: 'innerhtml', lesson: '12-chat-client', prompt: 'Hi <b>bold</b> <img src="/x.png" onerror="alert(\'your session is mine\')">', model: 'echo',
    panes: [{ client: 'innerhtml', chunk: 'word' }, { chunk: 'word' }],
    code: { broken: 'reply.innerHTML = text;', fixed: 'reply.append(chunk);   // text, never markup' },
  },
];

export const PRESETS = [...COMPARISONS, ...PITFALLS];
