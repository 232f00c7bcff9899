// Opens a job seeker's SMS link in Debian's headless Chromium at 360 CSS px
// wide (an old phone), checks it with axe-core (WCAG 2.2 A/AA), measures
// what the elderly-friendly rules ask (text size, line height, button size,
// one column, bytes transferred), answers 我感兴趣, and opens an expired
// link. Prints one JSON object; the end-to-end test asserts on it.
//
//   node tests/browser/seeker.mjs '{"url": "...", "expired_url": "...", "out_dir": "target/seeker-pages"}'

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
const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: "zh-CN" });
const page = await context.newPage();

let transferred = 0;
page.on("response", async (response) => {
  try {
    transferred += (await response.body()).length;
  } catch {
    // redirects have no body
  }
});
page.on("dialog", async (d) => {
  result.dialogs += 1;
  await d.dismiss();
});

async function axe() {
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"] },
    });
    return { violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })), passes: r.passes.length };
  });
  return found;
}

async function measure() {
  return page.evaluate(() => {
    const px = (el, prop) => parseFloat(getComputedStyle(el)[prop]);
    const texts = [...document.querySelectorAll("main p, main li, main dd, main dt, main label, main legend, main a")]
      .filter((el) => el.offsetParent !== null);
    const fontSizes = texts.map((el) => px(el, "fontSize"));
    const lineRatios = texts.map((el) => px(el, "lineHeight") / px(el, "fontSize"));
    const buttons = [...document.querySelectorAll(".button")].map((el) => {
      const r = el.getBoundingClientRect();
      return { text: el.textContent.trim(), width: r.width, height: r.height, left: r.left, right: r.right };
    });
    return {
      body_font_px: px(document.body, "fontSize"),
      min_text_px: Math.min(...fontSizes),
      min_line_height: Math.min(...lineRatios),
      buttons,
      scripts: document.querySelectorAll("script").length,
      horizontal_overflow: document.documentElement.scrollWidth > window.innerWidth,
      tel_links: [...document.querySelectorAll('a[href^="tel:"]')].map((a) => a.getAttribute("href")),
      title: document.title,
    };
  });
}

const result = { dialogs: 0 };
const first = await page.goto(input.url);
result.job_status = first.status();
await page.waitForLoadState("load");
result.job_transferred_bytes = transferred;
result.job = await measure();
result.job_axe = await axe();
await page.screenshot({ path: `${input.out_dir}/job.png`, fullPage: true });

await page.getByLabel("请工作人员联系我").check();
await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "我感兴趣" }).click()]);
result.answered_url = page.url();
result.answered_text = (await page.locator(".said").textContent()).trim();
result.answered_axe = await axe();
await page.screenshot({ path: `${input.out_dir}/answered.png`, fullPage: true });

const expired = await page.goto(input.expired_url);
result.expired_status = expired.status();
result.expired_heading = (await page.locator("h1").textContent()).trim();
result.expired_axe = await axe();
await page.screenshot({ path: `${input.out_dir}/expired.png`, fullPage: true });

await browser.close();
console.log(JSON.stringify(result));
