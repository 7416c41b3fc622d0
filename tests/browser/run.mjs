// ppetrace in a real browser: Debian's chromium driven by playwright-core.
//
//   node tests/browser/run.mjs BASE_URL --genuine URL --fake URL --user NAME --password PW
//        [--screenshots DIR] [--chromium /usr/bin/chromium]
//
// Scenarios: verify a genuine and a fake code (phone viewport); submit a fraud
// report and come back with the receipt; log in as a manufacturer and issue codes;
// switch the language. A failing scenario saves a screenshot to DIR/<name>.png and
// the process exits 1. Started by crates/ppetrace/tests/browser.rs against
// `ppetrace serve --demo`.

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

function parseArgs(argv) {
  const out = { base: argv[0] };
  for (let i = 1; i < argv.length; i += 2) {
    const k = argv[i];
    if (!k.startsWith("--") || i + 1 >= argv.length) {
      throw new Error(`bad argument ${k}`);
    }
    out[k.slice(2)] = argv[i + 1];
  }
  for (const need of ["base", "genuine", "fake", "user", "password"]) {
    if (!out[need]) {
      throw new Error(`missing --${need}`);
    }
  }
  out.screenshots ??= "target/browser-screenshots";
  out.chromium ??= "/usr/bin/chromium";
  return out;
}

function check(cond, what) {
  if (!cond) {
    throw new Error(`expected: ${what}`);
  }
}

const args = parseArgs(process.argv.slice(2));
// playwright-core gives every launch a fresh, temporary --user-data-dir (it refuses
// one passed in args), so no profile leaks between runs.
const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

const phone = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "en-US" };
const desktop = { viewport: { width: 1280, height: 900 }, locale: "en-US" };

const scenarios = [
  ["verify-genuine", phone, async (page) => {
    await page.goto(args.genuine);
    const verdict = page.locator("section.verdict");
    await verdict.waitFor();
    const cls = await verdict.getAttribute("class");
    check(cls.includes("verdict-ok"), `a green verdict, got class "${cls}"`);
    const text = await verdict.innerText();
    check(/genuine/i.test(text), `the word "genuine" in the verdict, got "${text}"`);
  }],
  ["verify-fake", phone, async (page) => {
    await page.goto(args.fake);
    const verdict = page.locator("section.verdict");
    await verdict.waitFor();
    const cls = await verdict.getAttribute("class");
    check(!cls.includes("verdict-ok"), `not a green verdict for a fake code, got "${cls}"`);
    const text = await verdict.innerText();
    check(/do not use/i.test(text), `"Do not use" advice, got "${text}"`);
  }],
  ["fraud-report-and-receipt", phone, async (page) => {
    await page.goto(`${args.base}/mailbox?lang=en`);
    await page.selectOption("#category", { index: 1 });
    await page.fill("#text", "Helmets sold at the Hanzheng market carry copied QR codes. (browser test)");
    await page.click("form[action='/mailbox/report'] button[type=submit]");
    const code = page.locator("code.wrap").first();
    await code.waitFor();
    const receipt = (await code.innerText()).trim();
    check(/^\d{4}( \d{4}){4}$/.test(receipt), `a 20-digit receipt, got "${receipt}"`);
    await page.goto(`${args.base}/mailbox/return?lang=en`);
    await page.fill("#receipt", receipt);
    await page.click("form[action='/mailbox/return'] button[type=submit]");
    await page.locator("h1", { hasText: "Your report" }).waitFor();
    const body = await page.locator("main").innerText();
    check(body.includes("copied QR codes"), "the report's text on the returned thread");
  }],
  ["manufacturer-issues-codes", desktop, async (page) => {
    await page.goto(`${args.base}/console?lang=en`);
    await page.waitForURL(/\/console\/login/);
    await page.fill("#username", args.user);
    await page.fill("#password", args.password);
    await page.click("form[action='/console/login'] button[type=submit]");
    await page.waitForURL(/\/console(\?|$)/);
    await page.click("nav.console-nav >> text=Manufacturer");
    await page.locator("h1", { hasText: "Your product models" }).waitFor();
    await page.locator("table a[href^='/console/manufacturer/products/']").first().click();
    await page.locator("table a[href^='/console/manufacturer/batches/']").first().click();
    const before = Number((await page.locator("#codes-count").innerText()).trim());
    await page.fill("#count", "3");
    await page.click("form[action*='/codes'] button[type=submit]");
    await page.locator("#notice").waitFor();
    const notice = await page.locator("#notice").innerText();
    check(notice.includes("Codes issued: 3"), `the issuance notice, got "${notice}"`);
    const after = Number((await page.locator("#codes-count").innerText()).trim());
    check(after === before + 3, `codes ${before} + 3, got ${after}`);
    // Keyboard only: Tab reaches the logout button and Enter logs out.
    const logout = page.locator("form.logout button");
    await logout.focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/console\/login/);
  }],
  ["switch-language", phone, async (page) => {
    await page.goto(`${args.base}/`);
    check((await page.getAttribute("html", "lang")) === "en", "English first for an English browser");
    await page.click("nav.langs >> text=中文");
    await page.waitForURL(/lang=zh/);
    check((await page.getAttribute("html", "lang")) === "zh-CN", "html lang zh-CN after the switch");
    const h1 = await page.locator("h1").first().innerText();
    check(/[\u4e00-\u9fff]/.test(h1), `a Chinese heading, got "${h1}"`);
    await page.click("nav.langs >> text=English");
    await page.waitForURL(/lang=en/);
    check((await page.getAttribute("html", "lang")) === "en", "back to English");
  }],
];

let failed = 0;
mkdirSync(args.screenshots, { recursive: true });
for (const [name, options, run] of scenarios) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  try {
    await run(page);
    console.log(`ok ${name}`);
  } catch (e) {
    failed += 1;
    const shot = join(args.screenshots, `${name}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.log(`FAILED ${name}: ${e.message.split("\n")[0]} (screenshot ${shot}, page ${page.url()})`);
  }
  await context.close();
}
await browser.close();
console.log(failed ? `${failed} of ${scenarios.length} scenarios failed` : `all ${scenarios.length} scenarios passed`);
process.exit(failed ? 1 : 0);
