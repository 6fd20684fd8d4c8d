// print_pages.mjs URL N PDF - open the desk page, wait for the folder, print
// one language's sheet to PDF (A4) and say how many pages and QR codes it
// took.  Used by bench_print.sh.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(`${process.env.NODE_PATH}/`);
const { chromium } = require('playwright-core');
const [url, n, pdfPath] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
const page = await browser.newPage();
await page.goto(`${url}/?lang=en`);
await page.waitForSelector('#holder-name', { timeout: 15000 });
await page.click('#print-btn');
await page.waitForSelector('.sheet');
await page.waitForFunction(() => [...document.querySelectorAll('.sheet img')]
  .every((i) => i.complete && (i.naturalWidth > 0 || !i.closest('.qr'))), null, { timeout: 15000 });
await page.waitForTimeout(300); // a split code (413) replaces itself
const codes = await page.$$eval('.sheet .qr', (fs) => fs.map((f) => f.dataset.entries || '1'));
const mm = await page.$$eval('.sheet .qr img', (is) => is.map((i) => i.getBoundingClientRect().width * 25.4 / 96));
await page.emulateMedia({ media: 'print' });
await page.pdf({ path: pdfPath, format: 'A4', printBackground: true });
const pages = readFileSync(pdfPath, 'latin1').match(/\/Type\s*\/Page[^s]/g).length;
const layout = await page.$eval('.sheet', (s) => (s.classList.contains('compact') ? (s.classList.contains('dense') ? 'lines, 6 pt' : 'lines, 7 pt') : 'cards'));
console.log(`${String(n).padStart(3)} entries: ${pages} A4 page(s), ${layout}, ${codes.length} QR code(s)` +
  (codes.length ? ` (entries per code ${[...new Set(codes)].join('/')}, ${Math.min(...mm).toFixed(0)}-${Math.max(...mm).toFixed(0)} mm)` : ''));
await browser.close();
