// GET + EventSource: the browser parses the frames and reconnects by itself.
// `on` receives: opened(), frame(frame), reconnecting(lastEventId), finished(kind, message).
// Returns { stop }. Frames are rebuilt from what EventSource reports: it never shows comments.

export function streamWithEventSource(url, on, { maxReconnects = 20 } = {}) {
  const source = new EventSource(url);
  let opened = false;
  let reconnects = 0;
  let lastId = '';
  let finished = false;

  const finish = (kind, message) => {
    if (finished) return;
    finished = true;
    source.close(); // without close(), EventSource would reconnect after every end
    on.finished(kind, message);
  };

  const report = (event) => {
    on.frame(frameOf(event, lastId));
    lastId = event.lastEventId;
  };

  source.onopen = () => {
    opened = true;
    on.opened();
  };

  source.onmessage = (event) => {
    report(event);
    if (event.data === '[DONE]') finish('done', 'the server sent [DONE]; the page called close()');
  };

  source.addEventListener('end', (event) => {
    report(event);
    finish('done', 'the server sent an end event; the page called close()');
  });

  // `error` fires for connection trouble AND for a server's `event: error` frame.
  source.addEventListener('error', (event) => {
    if (event instanceof MessageEvent) {
      report(event);
      finish('error', `the server sent an error frame: ${errorText(event.data)}`);
    } else if (source.readyState === EventSource.CONNECTING) {
      reconnects += 1;
      if (reconnects > maxReconnects) finish('stopped', `stopped after ${maxReconnects} reconnects`);
      else on.reconnecting(lastId); // the browser will send this as Last-Event-ID
    } else if (!opened) {
      explainFailure(url).then((message) => finish('error', message));
    } else {
      finish('closed', 'the reconnect got no stream back (StreamLab answers 204 once a stream is complete)');
    }
  });

  return { stop: () => finish('stopped', 'stopped: the page called es.close()') };
}

// What the wire most likely carried for this event, for the wire view.
function frameOf(event, previousId) {
  const lines = [];
  if (event.type !== 'message') lines.push(`event: ${event.type}`);
  if (event.lastEventId !== previousId) lines.push(`id: ${event.lastEventId}`);
  for (const line of event.data.split('\n')) lines.push(`data: ${line}`);
  return { lines, comments: [], retry: null, event: { type: event.type, data: event.data, lastEventId: event.lastEventId } };
}

export function errorText(data) {
  try {
    return JSON.parse(data).error.message;
  } catch {
    return data;
  }
}

// EventSource hides the status and body of a failed request; ask again with fetch to read them.
async function explainFailure(url) {
  try {
    const response = await fetch(url);
    if (response.ok) {
      await response.body?.cancel();
      return 'the connection failed';
    }
    const text = await response.text();
    try {
      return `${response.status}: ${JSON.parse(text).error.message}`;
    } catch {
      // Refused before StreamLab saw it (gunicorn or a proxy answers in HTML), most often a URL too long.
      if (response.status === 414) return `414: ${TOO_LONG}`;
      return `${response.status} ${response.statusText}`;
    }
  } catch {
    return 'cannot reach the server';
  }
}

const TOO_LONG = 'the URL is too long: a GET request line may be at most 8,190 bytes (about 900 Chinese '
  + 'characters of prompt). EventSource can only GET: send long prompts with a POST pane';
