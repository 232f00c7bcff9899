// What the console's browser scripts share: Debian's Chromium through
// playwright-core (no browser download), and one page's check: axe-core
// (WCAG 2.2 A/AA), sideways scrolling, a full-page screenshot.

import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

// A result to fill: requests to other hosts, axe violations and sideways
// scrolling by page and width, and what the script's steps saw.
export function newResult() {
  return { foreign_requests: [], axe: {}, scrolls_sideways: {}, steps: {} };
}

// Record in `result` every request `page` makes to a host other than `own`.
export function watchHosts(page, own, result) {
  page.on("request", (r) => {
    if (new URL(r.url()).host !== own) result.foreign_requests.push(r.url());
  });
}

// Check the page as it stands, under `name` at `width`, and screenshot it.
export async function checkPage(page, result, outDir, name, width) {
  await page.evaluate(axeSource);
  result.axe[`${name}-${width}`] = await page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"] },
    });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 3) }));
  });
  result.scrolls_sideways[`${name}-${width}`] = await page.evaluate(
    () => document.documentElement.scrollWidth > window.innerWidth + 1,
  );
  await page.screenshot({ path: `${outDir}/${name}-${width}.png`, fullPage: true });
}

// What a script starts with: `out_dir` made, Chromium at 1280 px in
// Chinese (with `options` for the context), the result to fill, and the
// page watched for requests to other hosts.
export async function start(input, options = {}) {
  mkdirSync(input.out_dir, { recursive: true });
  const result = newResult();
  const browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN", ...options });
  const page = await context.newPage();
  watchHosts(page, new URL(input.base).host, result);
  return { result, browser, page };
}

// Sign in through the form and wait to leave the sign-in page.
export async function signIn(page, base, login, password) {
  await page.goto(`${base}/console/sign-in`);
  await page.fill("#f-login", login);
  await page.fill("#f-password", password);
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith("/sign-in")), page.press("#f-password", "Enter")]);
}
