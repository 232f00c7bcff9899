// Opens one payment list with real rows in the staff console in Debian's
// headless Chromium, as the unit's staff: at 1280, 360 and 320 CSS px,
// checks it with axe-core (WCAG 2.2 A/AA) and for sideways scrolling,
// reads the rows and totals the page shows, downloads the XLSX, counts
// requests to any other host, and writes screenshots. Prints one JSON
// object; the end-to-end test asserts on it.
//
//   node tests/browser/payments.mjs '{"base": "...", "login": "...", "password": "...", "list_id": "...", "out_dir": "target/console-pages"}'

import { readFileSync, mkdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const input = JSON.parse(process.argv[2]);
mkdirSync(input.out_dir, { recursive: true });
const own = new URL(input.base).host;
const result = { foreign_requests: [], axe: {}, scrolls_sideways: {}, steps: {} };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN", acceptDownloads: true });
const page = await context.newPage();
page.on("request", (r) => {
  if (new URL(r.url()).host !== own) result.foreign_requests.push(r.url());
});

await page.goto(`${input.base}/console/sign-in`);
await page.fill("#f-login", input.login);
await page.fill("#f-password", input.password);
await Promise.all([page.waitForURL((u) => !u.pathname.endsWith("/sign-in")), page.press("#f-password", "Enter")]);

const path = `/console/payments/${input.list_id}`;
for (const width of [1280, 360, 320]) {
  await page.setViewportSize({ width, height: 900 });
  await page.goto(`${input.base}${path}`);
  await page.evaluate(axeSource);
  result.axe[`payment-${width}`] = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"] },
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 3) }));
  });
  result.scrolls_sideways[`payment-${width}`] = await page.evaluate(
    () => document.documentElement.scrollWidth > window.innerWidth + 1,
  );
  await page.screenshot({ path: `${input.out_dir}/payment-${width}.png`, fullPage: true });
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
