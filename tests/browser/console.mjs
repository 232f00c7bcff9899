// Drives the staff console in Debian's headless Chromium: signs in with the
// keyboard alone, publishes a job with a mistake, follows the error
// summary's link to the field, fixes it and publishes, sees the job's
// candidates, opens every main page at 1280 and 360 CSS px, checks each
// with axe-core (WCAG 2.2 A/AA), downloads the report, counts requests to
// any other host, and writes screenshots named after the pages. Prints one
// JSON object; the end-to-end test asserts on it. Then it publishes jobs
// from a sheet, imports a GBK list of people and moves a referral from
// the job's candidates to hired.
//
//   node tests/browser/console.mjs '{"base": "...", "login": "...", "password": "...", "person_id": "...", "month": "2026-12", "out_dir": "target/console-pages"}'

import { mkdirSync, readFileSync } from "node:fs";
import { checkPage, launch, newResult, watchHosts } from "./common.mjs";

const input = JSON.parse(process.argv[2]);
mkdirSync(input.out_dir, { recursive: true });
const own = new URL(input.base).host;
const result = newResult();
const browser = await launch();
const check = (page, name, width) => checkPage(page, result, input.out_dir, name, width);

const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN", acceptDownloads: true });
const page = await context.newPage();
watchHosts(page, own, result);

// Sign in with the keyboard alone.
await page.goto(`${input.base}/console/sign-in`);
await check(page, "sign-in", 1280);
for (let i = 0; i < 10; i++) {
  await page.keyboard.press("Tab");
  if (await page.evaluate(() => document.activeElement && document.activeElement.id === "f-login")) break;
}
await page.keyboard.type(input.login);
await page.keyboard.press("Tab");
await page.keyboard.type(input.password);
await Promise.all([page.waitForURL((u) => !u.pathname.endsWith("/sign-in")), page.keyboard.press("Enter")]);
result.steps.signed_in_at = new URL(page.url()).pathname;
await page.goto(`${input.base}/console/`);
await check(page, "home", 1280);

// Publish with a mistake, fix it from the error summary, publish.
await page.goto(`${input.base}/console/jobs/new`);
await check(page, "job-new", 1280);
await page.fill("#f-title", "保");
await page.fill("#f-description", "打扫小区楼道，每天上午。");
await page.selectOption("#f-category", "cleaning");
await page.fill("#f-pay_min", "150");
await page.fill("#f-pay_max", "200");
await page.selectOption("#f-region_code", "330402008");
await page.fill("#f-skills", "保洁、打扫");
await page.fill("#f-contact_name", "王丽");
await page.fill("#f-contact_phone", "13805731234");
await Promise.all([page.waitForLoadState("load"), page.click("form[action='/console/jobs'] button[type=submit]")]);
await page.waitForSelector(".error-summary");
result.steps.error_title = await page.title();
result.steps.focus_after_error = await page.evaluate(() => document.activeElement.className);
result.steps.kept_description = await page.inputValue("#f-description");
await check(page, "job-error", 1280);
await page.click(".error-summary a[href='#f-title']");
result.steps.focus_after_link = await page.evaluate(() => document.activeElement.id);
await page.keyboard.press("Control+A");
await page.keyboard.type("小区保洁员（浏览器）");
await Promise.all([page.waitForURL(/\/console\/jobs\/job_/), page.click("form[action='/console/jobs'] button[type=submit]")]);
result.steps.job_url = new URL(page.url()).pathname;
result.steps.job_text = await page.evaluate(() => document.body.innerText);
await check(page, "job", 1280);

// The main pages at desktop and phone width.
const pages = {
  home: "/console/",
  jobs: "/console/jobs",
  job: result.steps.job_url,
  persons: "/console/persons",
  person: `/console/persons/${input.person_id}`,
  referrals: "/console/referrals",
  report: `/console/reports/progress?month=${input.month}`,
  payments: `/console/payments?month=${input.month}`,
  year: `/console/reports/year?year=${input.month.slice(0, 4)}`,
  notifications: "/console/notifications",
  "jobs-import": "/console/jobs/import",
  "persons-import": "/console/persons/import",
  "person-plan": `/console/persons/${input.person_id}/plan`,
  "person-contact": `/console/persons/${input.person_id}/contact`,
  "person-certification": `/console/persons/${input.person_id}/certification`,
};
for (const [name, path] of Object.entries(pages)) {
  await page.goto(`${input.base}${path}`);
  if (name !== "home" && name !== "job") await check(page, name, 1280);
}
const phone = await browser.newContext({ viewport: { width: 360, height: 800 }, locale: "zh-CN" });
await phone.addCookies((await context.cookies()).map((c) => ({ ...c })));
const small = await phone.newPage();
watchHosts(small, own, result);
for (const [name, path] of Object.entries(pages)) {
  await small.goto(`${input.base}${path}`);
  await check(small, name, 360);
}

// WCAG 1.4.10 reflow: at 320 CSS px (also 1280 px at 400 % zoom) no page
// scrolls sideways (tables scroll within their own region).
const narrow = await browser.newContext({ viewport: { width: 320, height: 800 }, locale: "zh-CN" });
await narrow.addCookies((await context.cookies()).map((c) => ({ ...c })));
const tiny = await narrow.newPage();
for (const [name, path] of Object.entries(pages)) {
  await tiny.goto(`${input.base}${path}`);
  result.scrolls_sideways[`${name}-320`] = await tiny.evaluate(
    () => document.documentElement.scrollWidth > window.innerWidth + 1,
  );
}

// Download the report.
await page.goto(`${input.base}${pages.report}`);
const [download] = await Promise.all([page.waitForEvent("download"), page.click("a[href*='format=xlsx']")]);
const saved = `${input.out_dir}/progress-${input.month}.xlsx`;
await download.saveAs(saved);
result.steps.download = saved;

// Publish a sheet: the template downloaded, a good row and a bad one
// uploaded; the progress bar shows, then the report, which takes focus.
await page.goto(`${input.base}/console/jobs/import`);
const [template] = await Promise.all([page.waitForEvent("download"), page.click("a[href$='jobs-template.csv']")]);
const templateText = readFileSync(await template.path(), "utf8").replace(/^\uFEFF/, "");
const [header, example] = templateText.split(/\r?\n/);
const sheet = [header, example.replace("小区保洁员", "楼道保洁（表格）"), example.replace(",120,", ",abc,")].join("\n") + "\n";
await page.setInputFiles("#f-file", { name: "jobs.csv", mimeType: "text/csv", buffer: Buffer.from(sheet, "utf8") });
await page.evaluate(() => {
  const box = document.querySelector(".upload-progress");
  new MutationObserver(() => {
    if (!box.hidden) window.progressShown = true;
  }).observe(box, { attributes: true });
});
await page.click("form[data-upload] button[type=submit]");
await page.waitForSelector("#report-title");
result.steps.progress_shown = await page.evaluate(() => window.progressShown === true);
result.steps.jobs_report = await page.evaluate(() => document.querySelector(".report-block").innerText);
result.steps.jobs_report_focus = await page.evaluate(() => document.activeElement.id);
result.steps.jobs_report_url = new URL(page.url()).pathname;
await check(page, "jobs-import-report", 1280);

// A department's list in GBK.
await page.goto(`${input.base}/console/persons/import`);
await page.selectOption("#f-source", "civil_affairs");
await page.setInputFiles("#f-file", input.gbk_file);
await page.click("form[data-upload] button[type=submit]");
await page.waitForSelector("#report-title");
result.steps.persons_report = await page.evaluate(() => document.querySelector(".report-block").innerText);
await check(page, "persons-import-report", 1280);

// Refer the candidate from the job's page and move the referral to hired.
await page.goto(`${input.base}${result.steps.job_url}`);
await Promise.all([page.waitForURL(/\/console\/referrals/), page.click("form[action$='/refer'] button")]);
for (const label of ["标记为已联系", "标记为已面试", "标记为已录用"]) {
  await Promise.all([page.waitForURL(/moved=1/), page.click(`button:text-is("${label}")`)]);
}
await page.goto(`${input.base}/console/referrals?status=hired`);
result.steps.hired_text = await page.evaluate(() => document.querySelector("main").innerText);
await check(page, "referrals-hired", 1280);

await browser.close();
console.log(JSON.stringify(result));
