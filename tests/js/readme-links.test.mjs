// Every link to the classroom page in a README (the project's, the course's, each lesson's in both
// languages) opens what it says: a preset that exists, a model the server has, and panes whose every
// setting the page takes (an invalid one would be dropped without a word, and the demo would show
// something else). That each preset and pane setting then streams is what the browser tests show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { MAX_PANES_HTTP2, paneFrom, readState } from '../../static/js/state.js';
import { PRESETS } from '../../static/js/presets.js';

const OPTIONS = JSON.parse(readFileSync(new URL('./options.json', import.meta.url)));
const ROOT = new URL('../../', import.meta.url);
const LINK = /http:\/\/127\.0\.0\.1:5000\/\?[^\s)>]+/g;

function readmes() {
  const lessons = readdirSync(new URL('lessons/', ROOT)).filter((name) => /^\d\d-/.test(name));
  const files = ['README.md', 'lessons/README.md', 'lessons/README.zh-CN.md',
    ...lessons.flatMap((lesson) => [`lessons/${lesson}/README.md`, `lessons/${lesson}/README.zh-CN.md`])];
  return files.map((file) => [file, readFileSync(new URL(file, ROOT), 'utf8')]);
}

test('every classroom link in a README opens a real preset, model and panes', () => {
  let links = 0;
  for (const [file, text] of readmes()) {
    for (const link of text.match(LINK) ?? []) {
      links += 1;
      const params = new URLSearchParams(new URL(link).search);
      const where = `${file}: ${link}`;
      if (params.has('preset')) assert.ok(PRESETS.some((preset) => preset.id === params.get('preset')), where);
      if (params.has('model')) assert.equal(readState(`?model=${params.get('model')}`, OPTIONS).model, params.get('model'), where);
      const panes = params.getAll('pane');
      assert.ok(panes.length <= MAX_PANES_HTTP2, where);
      for (const pane of panes) {
        const taken = paneFrom(pane, OPTIONS);
        for (const [name, value] of pane.split(',').map((pair) => pair.split(':'))) assert.equal(taken[name], value, where);
      }
      if (file.endsWith('zh-CN.md') && file.startsWith('lessons/')) assert.equal(params.get('lang'), 'zh', where);
    }
  }
  assert.ok(links > 50, `only ${links} links found`);
});
