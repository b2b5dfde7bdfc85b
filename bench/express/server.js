// The baseline that tutorials teach: Express, one setInterval per client, one character every 100 ms.
const express = require('express');

const app = express();

app.get('/stream', (req, res) => {
  const text = String(req.query.prompt ?? '');
  res.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  let i = 0;
  const timer = setInterval(() => {
    if (i < text.length) {
      res.write(`data: ${text[i]}\n\n`);
      i += 1;
    } else {
      res.write('data: [DONE]\n\n');
      clearInterval(timer);
      res.end();
    }
  }, 100);
  req.on('close', () => clearInterval(timer));
});

app.listen(Number(process.argv[2] ?? 3000), '127.0.0.1');
