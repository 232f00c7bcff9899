// Opens one payment list with real rows in the staff console in Debian's
// headless Chromium, as the unit's staff: at 1280, 360 and 320 CSS px,
// checks it with axe-core (WCAG 2.2 A/AA) and for sideways scrolling,
// reads the rows and totals the page shows, downloads the XLSX, counts
// requests to any other host, and writes screenshots. Prints one JSON
// object; the end-to-end test asserts on it.
//
//   node tests/browser/payments.mjs '{"base": "...", "login": "...", "password": "...", "list_id": "...", "out_dir": "target/console-pages"}'

import { statSync } from "node:fs";
import { checkPage, signIn, start } from "./common.mjs";

const input = JSON.parse(process.argv[2]);
const { result, browser, page } = await start(input, { acceptDownloads: true });
await signIn(page, input.base, input.login, input.password);

const path = `/console/payments/${input.list_id}`;
for (const width of [1280, 360, 320]) {
  await page.setViewportSize({ width, height: 900 });
  await page.goto(`${input.base}${path}`);
  await checkPage(page, result, input.out_dir, "payment", width);
}

result.steps.heading = await page.evaluate(() => document.querySelector("h1").innerText);
result.steps.status = await page.evaluate(() => document.querySelector("main h1 + p").innerText);
result.steps.rows = await page.evaluate(() =>
  [...document.querySelectorAll("[aria-label='明细'] tbody tr")].map((tr) => [...tr.cells].map((c) => c.innerText)),
);
result.steps.total = await page.evaluate(() => document.querySelector("[aria-label='合计'] tr.total td:last-child").innerText);

await page.setViewportSize({ width: 1280, height: 900 });
const [download] = await Promise.all([page.waitForEvent("download"), page.click("a[href$='format=xlsx']")]);
const saved = `${input.out_dir}/payment-${input.list_id}.xlsx`;
await download.saveAs(saved);
result.steps.xlsx_name = download.suggestedFilename();
result.steps.xlsx_bytes = statSync(saved).size;

await browser.close();
console.log(JSON.stringify(result));
