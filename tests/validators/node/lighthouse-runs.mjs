// Lighthouse on several pages, one after another, in one Node process and one Chromium
// (tests/validators/test_lighthouse.py). Run from the command line, each report paid for starting Node, loading
// Lighthouse and starting a browser, about half of its time. One process runs one page at a time: Lighthouse times
// its steps with marks global to the process, which two runs at once would mix up.
//
// node lighthouse-runs.mjs RUNS.json, where RUNS.json holds
//   {"categories": ["accessibility", ...], "runs": [{"url": ..., "formFactor": "mobile", "output": ...}]}
// and CHROME_PATH names the browser. Each report is written to its "output" as Lighthouse's JSON.
import fs from 'node:fs';

import * as chromeLauncher from 'chrome-launcher';
import lighthouse, {desktopConfig} from 'lighthouse';

const ATTEMPTS = 3;
const CHROME_FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu'];

const request = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

// Without the performance category nothing is measured after the page has loaded: Lighthouse's waits for the page
// to settle (a second each for quiet network and CPU, after the first paint and after the load) time nothing.
const NO_SETTLING = {pauseAfterFcpMs: 0, pauseAfterLoadMs: 0, networkQuietThresholdMs: 0, cpuQuietThresholdMs: 0};

function configFor(formFactor) {
  const settings = {
    onlyCategories: request.categories,
    maxWaitForLoad: 60000,
    // A screenshot of the whole page is no audit's evidence here: a second of each run.
    disableFullPageScreenshot: true,
    ...(request.categories.includes('performance') ? {} : NO_SETTLING),
  };
  if (formFactor === 'desktop') {
    return {...desktopConfig, settings: {...desktopConfig.settings, ...settings}};
  }
  return {extends: 'lighthouse:default', settings};
}

// A run whose trace Lighthouse could not record (NO_NAVSTART and the like, on a busy machine: its own advice is to
// run it again) is run again, up to ATTEMPTS times.
async function audit(chrome, run) {
  let error = '';
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const result = await lighthouse(run.url, {port: chrome.port, output: 'json', logLevel: 'error'},
        configFor(run.formFactor));
      if (result && !result.lhr.runtimeError) {
        fs.writeFileSync(run.output, result.report);
        return;
      }
      error = JSON.stringify(result?.lhr.runtimeError);
    } catch (exception) {
      error = String(exception);
    }
  }
  throw new Error(`Lighthouse failed ${ATTEMPTS} times on ${run.url} (${run.formFactor}): ${error}`);
}

const chrome = await chromeLauncher.launch({chromePath: process.env.CHROME_PATH, chromeFlags: CHROME_FLAGS});
try {
  for (const run of request.runs) {
    await audit(chrome, run);
  }
} catch (error) {
  console.error(String(error));
  process.exitCode = 1;
} finally {
  await chrome.kill();
}
