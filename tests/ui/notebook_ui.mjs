// notebook_ui.mjs: drive a notebook in the classic Jupyter Notebook through a
// headless Chromium, the way a user would, and report what the page shows.
//
// Opens BASE/notebooks/NOTEBOOK, waits for its kernel, runs every cell from
// the Cell menu (Cell > Run All), optionally appends one more cell with the
// keyboard and runs it (Ctrl+Enter), waits until every code cell has an
// execution count and the kernel indicator is idle, takes a full-page
// screenshot, and prints one JSON object on stdout describing each cell's
// rendered output (text, HTML table headers, error flag). The assertions are
// left to the caller (tests/integration/test_ui.py).
//
// usage: node notebook_ui.mjs --base URL --token TOKEN --notebook NAME.ipynb
//          --shot OUT.png [--append-cell FILE] [--chromium PATH] [--timeout SECONDS]
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

function parseArgs(argv) {
  const a = { chromium: '/usr/bin/chromium', timeout: '240' };
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i];
    if (!k.startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${k}`);
    a[k.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = argv[i + 1];
  }
  for (const k of ['base', 'token', 'notebook', 'shot'])
    if (!a[k]) throw new Error(`--${k} is required`);
  return a;
}

const args = parseArgs(process.argv);
const timeoutMs = Number(args.timeout) * 1000;
const log = (...m) => process.stderr.write(`[ui] ${m.join(' ')}\n`);

// Every code cell shows "In [n]:" (none pending "[*]" or never run "[ ]") and
// the kernel indicator is idle: the notebook has finished what was queued.
async function waitAllExecuted(page) {
  await page.waitForFunction(() => {
    const prompts = [...document.querySelectorAll('.code_cell .input_prompt')];
    const done = prompts.length > 0 &&
      prompts.every(p => /In\s*\[\d+\]/.test(p.textContent.replace(/\u00a0/g, ' ')));
    const idle = document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null;
    return done && idle;
  }, null, { timeout: timeoutMs, polling: 200 });
}

// What a reader of the page sees, cell by cell.
function collect() {
  const cells = [...document.querySelectorAll('#notebook-container .cell')];
  return {
    kernelName: (document.querySelector('.kernel_indicator_name') || {}).textContent || '',
    kernelIdle: document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null,
    cells: cells.map((c, index) => {
      const code = c.classList.contains('code_cell');
      const src = code && c.querySelector('.CodeMirror') && c.querySelector('.CodeMirror').CodeMirror
        ? c.querySelector('.CodeMirror').CodeMirror.getValue() : c.innerText;
      const prompt = code ? c.querySelector('.input_prompt').textContent.replace(/\u00a0/g, ' ') : '';
      const outputs = [...c.querySelectorAll('.output_area')].map(o => {
        const sub = o.querySelector('.output_subarea');
        return {
          classes: sub ? [...sub.classList] : [],
          text: sub ? sub.innerText : '',
          error: !!o.querySelector('.output_error'),
          tables: [...o.querySelectorAll('table')].map(t => ({
            // A header cell holds the column name, then its type in <small>.
            headers: [...t.querySelectorAll('thead th')].map(
              th => (th.firstChild ? th.firstChild.textContent : '').trim()),
            types: [...t.querySelectorAll('thead th')].map(
              th => (th.querySelector('small') || {}).textContent || ''),
            rows: [...t.querySelectorAll('tbody tr')].map(
              tr => [...tr.querySelectorAll('td')].map(td => td.textContent.trim())),
          })),
        };
      });
      return { index, type: code ? 'code' : 'markdown', prompt, source: src, outputs };
    }),
  };
}

const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  // Root in a container has no user namespaces for the sandbox.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let status = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors = [];
  page.on('pageerror', e => consoleErrors.push(String(e)));
  const url = `${args.base}/notebooks/${encodeURIComponent(args.notebook)}?token=${args.token}`;
  log('open', url.replace(args.token, '***'));
  await page.goto(url, { waitUntil: 'load', timeout: 60000 });

  // The kernel is started by the server when the notebook opens.
  await page.waitForFunction(() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel &&
    Jupyter.notebook.kernel.is_connected() &&
    document.querySelector('#kernel_indicator_icon.kernel_idle_icon') !== null,
  null, { timeout: 60000, polling: 200 });
  log('kernel ready:', await page.textContent('.kernel_indicator_name'));

  // Cell > Run All, through the menu bar.
  await page.click('#menus a.dropdown-toggle:text-is("Cell")');
  await page.click('#run_all_cells > a');
  log('run all clicked');
  await waitAllExecuted(page);
  log('all cells executed');

  if (args.appendCell) {
    // Select the last cell, insert one below (B in command mode), type into it
    // and run it with Ctrl+Enter.
    const text = readFileSync(args.appendCell, 'utf8');
    await page.click('#notebook-container .cell:last-child .input_prompt, ' +
                     '#notebook-container .cell:last-child .inner_cell');
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    await page.keyboard.press('Enter');
    // insertText bypasses CodeMirror's bracket auto-closing.
    await page.keyboard.insertText(text);
    // Ctrl+Enter runs it in place (Shift+Enter would add an empty cell).
    await page.keyboard.press('Control+Enter');
    log('appended cell run');
    await waitAllExecuted(page);
    log('appended cell executed');
  }

  // The notebook scrolls inside #site, so a full-page shot would only hold
  // the viewport: let the page grow to its content first.
  await page.addStyleTag({
    content: 'html, body { height: auto !important; overflow: visible !important; }' +
             ' #site { height: auto !important; overflow: visible !important; }',
  });
  await page.screenshot({ path: args.shot, fullPage: true });
  log('screenshot', args.shot);

  const report = await page.evaluate(collect);
  report.pageErrors = consoleErrors;
  process.stdout.write(JSON.stringify(report) + '\n');
} catch (e) {
  log('failed:', e && e.stack ? e.stack : String(e));
  status = 1;
  // What the page looked like when it failed: prompts, kernel state, a shot.
  const page = browser.contexts()[0] && browser.contexts()[0].pages()[0];
  if (page) {
    const state = await page.evaluate(() => ({
      prompts: [...document.querySelectorAll('.code_cell .input_prompt')].map(p => p.textContent),
      kernel: (document.querySelector('#kernel_indicator_icon') || {}).className,
    })).catch(x => String(x));
    log('page state:', JSON.stringify(state));
    await page.screenshot({ path: args.shot, fullPage: true }).catch(() => {});
  }
} finally {
  await browser.close();
}
process.exit(status);
