// ppetrace in a real browser: Debian's chromium driven by playwright-core.
//
//   node tests/browser/run.mjs BASE_URL --genuine URL --fake URL --user NAME --password PW
//        --handler NAME --handler-password PW --handler-identity FILE
//        --inspector NAME --inspector-password PW --inspector-key FILE --inspect-at RFC3339
//        [--screenshots DIR] [--chromium /usr/bin/chromium]
//
// Scenarios: verify a genuine and a fake code (phone viewport); submit a fraud
// report and come back with the receipt; log in as a manufacturer and issue codes;
// switch the language; a case handler opens a report sent through the public form
// and reads it by loading their age identity file in the browser (which sends it
// nowhere); an inspector signs a record with their Ed25519 key file in the browser
// and files it (the window of the draw assigning them opens at --inspect-at). A
// failing scenario saves a screenshot to DIR/<name>.png and the process exits 1.
// Started by crates/ppetrace/tests/browser.rs against `ppetrace serve --demo`.

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
  for (const need of ["base", "genuine", "fake", "user", "password", "handler", "handler-password",
    "handler-identity", "inspector", "inspector-password", "inspector-key", "inspect-at"]) {
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

async function login(page, user, password) {
  await page.goto(`${args.base}/console?lang=en`);
  await page.waitForURL(/\/console\/login/);
  await page.fill("#username", user);
  await page.fill("#password", password);
  await page.click("form[action='/console/login'] button[type=submit]");
  await page.waitForURL(/\/console(\?|$)/);
}

// Every request the page makes from now on, with its body, to show what left it.
function recordRequests(page) {
  const sent = [];
  page.on("request", (r) => sent.push({ method: r.method(), url: r.url(), body: r.postData() || "" }));
  return sent;
}

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
  ["case-handler-reads-report", desktop, async (page) => {
    const secretText = `Respirators from the Jiefang Road shop fail the fit test (browser decrypt ${Date.now()})`;
    await page.goto(`${args.base}/mailbox?lang=en`);
    await page.selectOption("#category", { index: 1 });
    await page.fill("#text", secretText);
    await page.click("form[action='/mailbox/report'] button[type=submit]");
    await page.locator("code.wrap").first().waitFor();
    await login(page, args.handler, args["handler-password"]);
    await page.goto(`${args.base}/console/cases?lang=en`);
    const ids = await page.locator("table a[href^='/console/cases/']").evaluateAll(
      (as) => as.map((a) => Number(a.textContent.trim())));
    check(ids.length > 0, "cases in the handler's list");
    await page.click(`table a[href^='/console/cases/${Math.max(...ids)}?']`);
    await page.locator("pre.ciphertext[data-message]").first().waitFor({ state: "attached" });
    const before = await page.locator("main").innerText();
    check(!before.includes(secretText), "no plaintext from the server");
    check(before.includes("ppetrace mailbox read"), "the CLI command stays on the page");
    const sent = recordRequests(page);
    await page.locator("#decrypt").waitFor();
    await page.setInputFiles("#identity-file", args["handler-identity"]);
    await page.click("#decrypt-button");
    await page.locator(".case-message .plaintext", { hasText: secretText }).waitFor();
    const status = await page.locator("#decrypt-status").innerText();
    check(/1\/1/.test(status), `one message decrypted, got "${status}"`);
    check(await page.inputValue("#identity-text") === "", "the pasted identity box is empty");
    check(await page.locator("#identity-file").evaluate((i) => i.files.length === 0), "the file input is cleared");
    check(await page.evaluate(() => localStorage.length + sessionStorage.length) === 0, "nothing stored");
    const leaked = sent.filter((r) => r.method !== "GET" || /AGE-SECRET-KEY/i.test(r.url + r.body));
    check(leaked.length === 0, `no request carries the identity, got ${JSON.stringify(leaked)}`);
    await page.click("#forget-button");
    check(!(await page.locator("main").innerText()).includes(secretText), "decrypted text removed");
  }],
  ["inspector-signs-in-browser", desktop, async (page) => {
    await login(page, args.inspector, args["inspector-password"]);
    await page.goto(`${args.base}/console/inspector?lang=en`);
    const row = page.locator("table tr", { hasText: "BT-1" }).first();
    const draw = (await row.locator("td").first().innerText()).trim();
    check(/^\d+$/.test(draw), `a draw number in the assignment row, got "${draw}"`);
    // The record may only start once the window has opened.
    const opens = Date.parse(args["inspect-at"]);
    while (Date.now() < opens + 1000) {
      await page.waitForTimeout(Math.min(1000, opens + 1000 - Date.now()));
    }
    const minute = args["inspect-at"].slice(0, 16); // YYYY-MM-DDTHH:MM, UTC
    await page.fill("#draw_id", draw);
    await page.fill("#target", "BT-1");
    await page.fill("#started_at", minute);
    await page.fill("#ended_at", minute);
    await page.fill("#checklist", "helmets pass");
    await page.fill("#findings", "Codes checked on 12 helmets (browser test)");
    await page.click("form[action^='/console/inspector/prepare'] button[type=submit]");
    await page.locator("#sign-here").waitFor();
    const sent = recordRequests(page);
    await page.setInputFiles("#key-file", args["inspector-key"]);
    await page.click("#sign-button");
    await page.waitForFunction(() => /^[0-9a-f]{128}$/.test(document.getElementById("signature").value));
    const status = await page.locator("#sign-status").innerText();
    check(/registered key/.test(status), `signed with the registered key, got "${status}"`);
    check(sent.length === 0, `signing made no request, got ${JSON.stringify(sent)}`);
    await page.click("form[action^='/console/inspector/file'] button[type=submit]");
    await page.waitForURL(/\/console\/inspector\?lang=en/);
    const records = await page.locator("section", { hasText: "Your records" }).innerText();
    check(records.includes("BT-1") && records.includes("inspection"), `the filed record listed, got "${records}"`);
    check(sent.every((r) => !/PRIVATE KEY/.test(r.body)), "the key was never sent");
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
