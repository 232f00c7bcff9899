// A new member of staff's first sign-in in Debian's headless Chromium:
// signed in with the first password the administrator gave her, she is
// taken to 修改密码 with a note saying why; a weak password is refused with
// the error summary; her own one is taken and the home page opens. Then,
// when a list id is given, the payment list she proposed: no approve
// button, a note saying a colleague approves. Each page at 1280 and 360
// CSS px with axe-core and the sideways-scroll check; screenshots; one
// JSON object printed for the end-to-end test.
//
//   node tests/browser/first-sign-in.mjs '{"base": "...", "login": "...", "password": "...", "new_password": "...", "list_id": "...", "out_dir": "target/console-pages"}'

import { checkPage, signIn, start } from "./common.mjs";

const input = JSON.parse(process.argv[2]);
const { result, browser, page } = await start(input);
await signIn(page, input.base, input.login, input.password);
result.steps.after_sign_in = new URL(page.url()).pathname;
if (input.new_password) {
  result.steps.note = await page.evaluate(() => document.querySelector("main .banner")?.innerText ?? "");
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await checkPage(page, result, input.out_dir, "first-password", width);
  }

  await page.fill("#f-current", input.password);
  await page.fill("#f-new", "1234567890");
  await Promise.all([page.waitForLoadState("load"), page.click("main button[type=submit]")]);
  result.steps.weak_summary = await page.evaluate(() => document.querySelector(".error-summary")?.innerText ?? "");
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await checkPage(page, result, input.out_dir, "weak-password", width);
  }

  await page.fill("#f-current", input.password);
  await page.fill("#f-new", input.new_password);
  await Promise.all([page.waitForLoadState("load"), page.click("main button[type=submit]")]);
  result.steps.changed = await page.evaluate(() => document.querySelector("main h1").innerText);
  await page.goto(`${input.base}/console/`);
  result.steps.home = new URL(page.url()).pathname;
}

if (input.list_id) {
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${input.base}/console/payments/${input.list_id}`);
    await checkPage(page, result, input.out_dir, "payment-proposer", width);
  }
  result.steps.approve_buttons = await page.evaluate(
    () => [...document.querySelectorAll("button")].filter((b) => b.innerText.includes("审核通过")).length,
  );
  result.steps.proposer_note = await page.evaluate(() => document.querySelector("main .banner")?.innerText ?? "");
}

await browser.close();
console.log(JSON.stringify(result));
