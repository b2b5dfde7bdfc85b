// GET + EventSource: the browser parses the frames and reconnects by itself.
// `on` receives: opened(), frame(frame), reconnecting(lastEventId), finished(kind, reason, detail).
// kind is done, closed, error or stopped; reason is a word saying why (sentinel, end-event,
// error-frame, ...), which the page puts into the class's language. Returns { stop }.
// Frames are rebuilt from what EventSource reports: it never shows comments.
//
// Pages get EventSource wrong in two places, so those are the client's `parts`:
// listen() wires the handlers, atEnd() is what the page does once the end signal arrives.
// static/js/pitfalls/ holds the broken versions, each beside this correct one.

export const CORRECT = {
  listen(source, { message, end, error }) {
    source.onmessage = message; // events without an `event:` line, [DONE] included
    source.addEventListener('end', end); // a named event never reaches onmessage
    source.addEventListener('error', error); // connection trouble AND a server's `event: error`
  },
  atEnd(source) {
    source.close(); // without close(), EventSource reconnects once the server closes the response
  },
};

export function streamWithEventSource(url, on, { maxReconnects = 20, parts = CORRECT } = {}) {
  const source = new EventSource(url);
  let opened = false;
  let reconnects = 0;
  let lastId = '';

  const close = (kind, reason, detail) => {
    source.close();
    on.finished(kind, reason, detail);
  };

  const report = (event) => {
    on.frame(frameOf(event, lastId));
    lastId = event.lastEventId;
  };

  const ended = (reason) => {
    on.finished('done', reason);
    parts.atEnd(source);
  };

  source.onopen = () => {
    opened = true;
    on.opened();
  };

  parts.listen(source, {
    message(event) {
      report(event);
      if (event.data === '[DONE]') ended('sentinel');
    },
    end(event) {
      report(event);
      ended('end-event');
    },
    error(event) {
      if (event instanceof MessageEvent) {
        report(event);
        close('error', 'error-frame', errorText(event.data));
      } else if (source.readyState === EventSource.CONNECTING) {
        reconnects += 1;
        if (reconnects > maxReconnects) close('stopped', 'reconnect-limit', String(maxReconnects));
        else on.reconnecting(lastId); // the browser will send this as Last-Event-ID
      } else if (!opened) {
        explainFailure(url).then(([reason, detail]) => on.finished('error', reason, detail));
      } else {
        on.finished('closed', 'no-stream'); // a reconnect got 204 (or no stream at all)
      }
    },
  });

  return {
    stop: () => {
      if (source.readyState !== EventSource.CLOSED) close('stopped', 'es-close');
    },
  };
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
// Returns [reason, detail].
async function explainFailure(url) {
  try {
    const response = await fetch(url);
    if (response.ok) {
      await response.body?.cancel();
      return ['connection-failed', ''];
    }
    // A URL too long for a GET, from StreamLab, gunicorn or a proxy: the page explains it in the
    // class's language, with what to do in the page (a POST pane).
    if (response.status === 414) {
      await response.body?.cancel();
      return ['url-too-long', '414'];
    }
    const text = await response.text();
    try {
      return ['status', `${response.status}: ${JSON.parse(text).error.message}`];
    } catch {
      return ['status', `${response.status} ${response.statusText}`];  // a proxy's HTML page
    }
  } catch {
    return ['unreachable', ''];
  }
}
