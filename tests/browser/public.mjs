// Opens the public public-welfare pages (a 公示, an event) in Debian's
// headless Chromium at 360 CSS px (a phone) and 1280 px (a notice-board
// screen), checks each with axe-core (WCAG 2.2 A/AA), counts requests to
// any other host, and writes screenshots. Prints one JSON object; the
// end-to-end test asserts on it.
//
//   node tests/browser/public.mjs '{"pages": {"publicity": "...", "event": "..."}, "out_dir": "target/welfare-pages"}'

import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const input = JSON.parse(process.argv[2]);
mkdirSync(input.out_dir, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const result = { pages: {}, foreign_requests: [] };
for (const [name, url] of Object.entries(input.pages)) {
  const own = new URL(url).host;
  for (const width of [360, 1280]) {
    const context = await browser.newContext({ viewport: { width, height: 800 }, locale: "zh-CN" });
    const page = await context.newPage();
    page.on("request", (r) => {
      if (new URL(r.url()).host !== own) result.foreign_requests.push(r.url());
    });
    const response = await page.goto(url);
    await page.evaluate(axeSource);
    const axe = await page.evaluate(async () => {
      const r = await window.axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"] },
      });
      return { violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })), passes: r.passes.length };
    });
    const scrolls = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
    const text = await page.evaluate(() => document.body.innerText);
    await page.screenshot({ path: `${input.out_dir}/${name}-${width}.png`, fullPage: true });
    result.pages[`${name}-${width}`] = { status: response.status(), ...axe, scrolls_sideways: scrolls, text };
    await context.close();
  }
}
await browser.close();
console.log(JSON.stringify(result));
