// The bureau's admin keeps the working-day calendar in Debian's headless
// Chromium: 工作日历 with its warning and years at 1280 and 360 CSS px, a
// year typed with a mistake (refused with the error summary, what was
// typed kept), then a year saved. axe-core and the sideways-scroll check
// on each; screenshots; one JSON object printed for the end-to-end test.
//
//   node tests/browser/calendar.mjs '{"base": "...", "login": "...", "password": "...", "year": "2031", "out_dir": "target/console-pages"}'

import { checkPage, signIn, start } from "./common.mjs";

const input = JSON.parse(process.argv[2]);
const { result, browser, page } = await start(input);
await signIn(page, input.base, input.login, input.password);
result.steps.home_text = await page.evaluate(() => document.querySelector("main").innerText);

await page.goto(`${input.base}/console/calendar`);
for (const width of [1280, 360]) {
  await page.setViewportSize({ width, height: 900 });
  await checkPage(page, result, input.out_dir, "calendar", width);
}
result.steps.page_text = await page.evaluate(() => document.querySelector("main").innerText);

await page.setViewportSize({ width: 1280, height: 900 });
await page.fill("#f-year", input.year);
await page.fill("#f-holidays", `${input.year}-01-01 ${input.year}-13-01`);
await page.fill("#f-source", "测试");
await Promise.all([page.waitForLoadState("load"), page.click("main form button[type=submit]")]);
result.steps.error_summary = await page.evaluate(() => document.querySelector(".error-summary")?.innerText ?? "");
result.steps.kept = await page.inputValue("#f-holidays");
for (const width of [1280, 360]) {
  await page.setViewportSize({ width, height: 900 });
  await checkPage(page, result, input.out_dir, "calendar-error", width);
}

await page.fill("#f-holidays", `${input.year}-01-01`);
await page.fill("#f-source", "测试数据：浏览器检查录入（不是真实通知）");
await Promise.all([page.waitForLoadState("load"), page.click("main form button[type=submit]")]);
result.steps.saved_at = new URL(page.url()).pathname + new URL(page.url()).search;
result.steps.saved_text = await page.evaluate(() => document.querySelector("main").innerText);

await browser.close();
console.log(JSON.stringify(result));
