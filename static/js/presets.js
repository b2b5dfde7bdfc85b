// One click loads a classroom comparison. Each pane lists what differs from the defaults.

export const PRESETS = [
  { id: 'get-vs-post', title: 'GET vs POST', panes: [{ transport: 'get' }, { transport: 'post' }] },
  { id: 'plain-vs-json', title: 'plain vs JSON', panes: [{ transport: 'post' }, { transport: 'post', frame: 'json' }] },
  {
    id: 'end-signals', title: '[DONE] vs end event vs close',
    panes: [{ end: 'sentinel' }, { end: 'event' }, { end: 'close', retry: '1000' }],
  },
  {
    id: 'reconnect', title: 'reconnect with ids vs without',
    panes: [{ drop_after: '15', retry: '500' }, { drop_after: '15', retry: '500', ids: 'off' }],
  },
  { id: 'chunking', title: 'char vs word vs sentence', panes: [{ chunk: 'char' }, { chunk: 'word' }, { chunk: 'sentence' }] },
  { id: 'blocking', title: 'blocking vs streaming', panes: [{ transport: 'blocking' }, { transport: 'post' }] },
];
