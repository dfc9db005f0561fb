'use strict';
/*
 * lib.js: what the browser tests share. tests/run-browser starts the whole
 * stack (tools/stack start: nginx, the workers, PostgreSQL) and sets
 *
 *   CLINIC_TEST_PORT     nginx's port on 127.0.0.1
 *   CLINIC_TEST_VARDIR   the stack's runtime directory
 *
 * Chromium is Debian's (/usr/bin/chromium, or CHROMIUM), driven by
 * playwright-core: no browser is ever downloaded. What the tests know of
 * the service comes from shared/spec (api.md, intake-form.md,
 * screening.md), not from the code.
 */
const fs = require('node:fs');
const path = require('node:path');
const assert = require('node:assert/strict');
const { chromium } = require('playwright-core');
const { AxeBuilder } = require('@axe-core/playwright');

const REPO = path.resolve(__dirname, '..', '..');
const PORT = Number(process.env.CLINIC_TEST_PORT || 8080);
const VARDIR = process.env.CLINIC_TEST_VARDIR || path.join(REPO, 'var');
const BASE = `http://127.0.0.1:${PORT}`;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/* Every screenshot goes to OUT_DIR (tests/browser/out/screenshots/, not
   committed); with UPDATE_SCREENSHOTS=1 also to docs/screenshots/, the
   pictures the README shows (so `make check` leaves those alone). */
const OUT_DIR = process.env.BROWSER_OUT ||
    path.join(__dirname, 'out', 'screenshots');
const DOCS_DIR = path.join(REPO, 'docs', 'screenshots');

const PHONE = { width: 375, height: 740 };
const DESKTOP = { width: 1280, height: 900 };

/* ---- the browser ---- */

const LAUNCH_ARGS = [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync',
	'--disable-dev-shm-usage',
];

let browser = null;

/*
 * One Chromium per test file; every test gets its own context (cookies,
 * JavaScript on or off, viewport). playwright-core starts Chromium with a
 * fresh, empty --user-data-dir of its own (a new temporary directory,
 * removed when the browser closes): it refuses one given in args.
 */
async function launch() {
	if (browser)
		return browser;
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: LAUNCH_ARGS,
		timeout: 60000,
	});
	return browser;
}

async function closeBrowser() {
	if (browser)
		await browser.close().catch(() => {});
	browser = null;
}

/*
 * A new context and page. opts: phone (375 px, touch), js (default true),
 * viewport. The page records what would show a script ran where it must
 * not: dialogs, page errors, CSP violations (page.problems).
 */
async function newPage(opts = {}) {
	const b = await launch();
	const phone = !!opts.phone;
	const ctx = await b.newContext({
		baseURL: BASE,
		locale: 'en-US',
		timezoneId: 'America/Toronto',
		javaScriptEnabled: opts.js !== false,
		viewport: opts.viewport || (phone ? PHONE : DESKTOP),
		deviceScaleFactor: phone ? 2 : 1,
		isMobile: phone,
		hasTouch: phone,
	});
	ctx.setDefaultTimeout(15000);
	const page = await ctx.newPage();
	page.problems = [];
	page.on('dialog', (d) => {
		page.problems.push(`dialog: ${d.type()} ${d.message()}`);
		d.dismiss().catch(() => {});
	});
	page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
	page.on('console', (m) => {
		/* Chromium logs a 422 page (the form with its errors) as a
		   failed load: that is the service working, not a problem */
		if (m.type() === 'error' && !/favicon/.test(m.location().url || '') &&
		    !/Failed to load resource: .* status of 422/.test(m.text()))
			page.problems.push(`console: ${m.text()}`);
	});
	if (opts.js !== false) {
		await ctx.addInitScript(() => {
			/* what an injection would trip: inline code or markup
			   that loads a script, an image or a frame */
			document.addEventListener('securitypolicyviolation', (e) => {
				if (!/^(inline|eval)$/.test(e.blockedURI) &&
				    !/^(script|img|frame|child|object|worker)-src/.test(e.effectiveDirective))
					return;
				window.__cspViolations = (window.__cspViolations || 0) + 1;
				console.error(`CSP violation: ${e.effectiveDirective} ${e.blockedURI}`);
			});
		});
	}
	return page;
}

async function closePage(page) {
	if (page)
		await page.context().close().catch(() => {});
}

/* ---- answers (intake-form.md) ---- */

/*
 * A complete intake, as the patient of the first scenario fills it in:
 * pain in the neck and the lower back (so the back-pain safety questions
 * apply), pregnant at 24 weeks (so the pregnancy follow-ups apply).
 * Nothing here raises an urgent flag. An ordered list of [id, value];
 * a multi answer repeats its id.
 */
function fullIntake() {
	return [
		['given_name', 'Maria'],
		['family_name', 'Rossi'],
		['date_of_birth', '1991-03-12'],
		['email', 'maria.rossi@example.org'],
		['phone', '+1 (416) 555-0142'],
		['emergency_contact_name', 'Paolo Rossi'],
		['emergency_contact_phone', '416-555-0143'],
		['physician_name', 'Dr. Jordan Lee'],
		['preferred_language', 'en'],
		['reason_for_visit', 'Lower back ache since the second trimester,\nand a stiff neck from work.'],
		['massage_type', 'relaxation'],
		['first_massage', 'no'],
		['pain_today', 'yes'],
		['pain_areas', 'neck'],
		['pain_areas', 'lower_back'],
		['pain_intensity', '4'],
		['pain_duration', '6_to_12_weeks'],
		['pain_onset', 'gradual'],
		['pain_spreads_to_limb', 'no'],
		['rf_leg_weakness', 'no'],
		['rf_cancer_history', 'no'],
		['rf_weight_loss', 'no'],
		['rf_fever', 'no'],
		['rf_trauma', 'no'],
		['rf_night_pain', 'no'],
		['rf_immunosuppressed', 'no'],
		['rf_bladder_bowel', 'no'],
		['rf_saddle_numbness', 'no'],
		['fever_today', 'no'],
		['leg_swelling', 'no'],
		['conditions', 'none'],
		['pregnant', 'yes'],
		['pregnancy_weeks', '24'],
		['pregnancy_high_risk', 'no'],
		['pregnancy_symptoms', 'no'],
		['injection_recent', 'no'],
		['anticoagulant', 'no'],
		['antiplatelet', 'no'],
		['steroids_long_term', 'no'],
		['pain_medication_today', 'no'],
		['medications', 'Prenatal vitamins.'],
		['product_allergies', 'fragrance'],
		['allergies', 'Scented oils give me a headache.'],
		['other_health_notes', 'Side-lying is most comfortable.'],
		['consent_treatment', 'agree'],
		['consent_sensitive_areas', 'glutes'],
		['consent_privacy', 'agree'],
		['signature_name', 'Maria Rossi'],
	];
}

/* The smallest valid intake: no pain, nothing conditional. */
function shortIntake(given = 'Alex', family = 'Tremblay') {
	return [
		['given_name', given],
		['family_name', family],
		['date_of_birth', '1980-05-17'],
		['email', 'alex.tremblay@example.org'],
		['reason_for_visit', 'Tight shoulders after long days at a desk.'],
		['massage_type', 'therapist_choice'],
		['first_massage', 'yes'],
		['pain_today', 'no'],
		['rf_bladder_bowel', 'no'],
		['rf_saddle_numbness', 'no'],
		['fever_today', 'no'],
		['leg_swelling', 'no'],
		['conditions', 'none'],
		['pregnant', 'not_applicable'],
		['injection_recent', 'no'],
		['anticoagulant', 'no'],
		['antiplatelet', 'no'],
		['steroids_long_term', 'no'],
		['pain_medication_today', 'no'],
		['consent_treatment', 'agree'],
		['consent_privacy', 'agree'],
		['signature_name', `${given} ${family}`],
	];
}

/* Markup and script a patient might type into free-text answers: shown
   back as text, on the form after an error and on the therapist's page. */
const PAYLOADS = {
	reason_for_visit: '<script>window.__xss = 1</script>Back pain </textarea><img src=x onerror="window.__xss=2">',
	medications: '"><script>window.__xss=3</script><iframe src="javascript:window.__xss=4">',
	other_health_notes: "'; window.__xss=5; //<svg onload=window.__xss=6>",
	physician_name: '"><img src=x onerror=alert(1)>',
	emergency_contact_name: '<b onmouseover="window.__xss=7">Sam</b>',
};

/* Replace answers: changes is [id, value|array|null] (null removes). */
function withAnswers(pairs, changes) {
	let out = pairs.slice();
	for (const [id, value] of changes) {
		const idx = out.findIndex(([k]) => k === id);
		out = out.filter(([k]) => k !== id);
		if (value === null)
			continue;
		const vals = Array.isArray(value) ? value : [value];
		const at = idx >= 0 ? idx : out.length;
		out.splice(at, 0, ...vals.map((v) => [id, v]));
	}
	return out;
}

/*
 * Answer like a patient with a mouse: type into text boxes, click the
 * label of a radio button or a checkbox (the label is the target; it also
 * proves the label is tied to its control). Fields are found by their
 * name / id (api.md: every input's name is the question id).
 */
async function fillAnswers(page, pairs) {
	for (const [id, value] of pairs) {
		const named = page.locator(`[name="${id}"]`);
		const type = await named.first().getAttribute('type');
		if (type === 'radio' || type === 'checkbox') {
			const input = page.locator(`#${id}-${value}`);
			if (!(await input.isChecked()))
				await page.locator(`label[for="${id}-${value}"]`).click();
			assert.ok(await input.isChecked(), `${id}=${value} is chosen`);
		} else {
			await page.locator(`#${id}`).fill(value);
		}
	}
}

/* What the page's form would send, as [id, value] pairs (no hidden ones). */
async function formValues(page) {
	return page.evaluate(() => {
		const out = [];
		const form = document.querySelector('form.intake');
		for (const el of form.elements) {
			if (!el.name || el.type === 'hidden' || el.type === 'submit')
				continue;
			if ((el.type === 'radio' || el.type === 'checkbox') && !el.checked)
				continue;
			if (el.value !== '')
				out.push([el.name, el.value]);
		}
		return out;
	});
}

async function submit(page) {
	await Promise.all([
		page.waitForNavigation({ waitUntil: 'load' }),
		page.getByRole('button', { name: 'Send my answers' }).click(),
	]);
}

async function gotoForm(page, query = '') {
	const resp = await page.goto(`/intake/${query}`);
	assert.equal(resp.status(), 200, 'the form answers 200');
	return resp;
}

/* The receipt: its path holds a token; it has a reference code. */
async function expectReceipt(page) {
	assert.match(new URL(page.url()).pathname, /^\/intake\/.+/,
	    'the receipt has its own path');
	await assert.doesNotReject(page.getByRole('heading', { level: 1,
	    name: /received your form/i }).waitFor(), 'the receipt heading');
	const ref = (await page.locator('.reference').textContent()).trim();
	assert.ok(ref.length >= 4, `a reference code: "${ref}"`);
	return ref;
}

/* ---- checks ---- */

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

function axeReport(violations) {
	return violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n` +
	    v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}: ` +
	    `${n.failureSummary.replace(/\n/g, ' ')}`).join('\n')).join('\n');
}

/* axe-core with the WCAG 2.1 A and AA rules: zero violations. */
async function expectAccessible(page, what) {
	const result = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
	assert.equal(result.violations.length, 0,
	    `axe (WCAG 2.1 A/AA) on ${what}:\n${axeReport(result.violations)}`);
	return result;
}

/* Nothing wider than the viewport: no horizontal scrolling on a phone. */
async function expectNoHorizontalScroll(page, what) {
	const r = await page.evaluate(() => {
		const w = document.documentElement.clientWidth;
		const wide = [];
		for (const el of document.body.querySelectorAll('*')) {
			const cs = getComputedStyle(el);
			if (cs.display === 'none' || cs.visibility === 'hidden' ||
			    el.closest('.visually-hidden'))
				continue;
			const b = el.getBoundingClientRect();
			if (b.width > 0 && (b.right > w + 1 || b.left < -1))
				wide.push(`${el.tagName.toLowerCase()}` +
				    `${el.id ? '#' + el.id : ''}` +
				    `${el.className ? '.' + String(el.className).split(' ').join('.') : ''}` +
				    ` [${Math.round(b.left)}..${Math.round(b.right)}]`);
		}
		return {
			client: w,
			scroll: document.documentElement.scrollWidth,
			body: document.body.scrollWidth,
			wide: wide.slice(0, 10),
		};
	});
	assert.ok(r.scroll <= r.client && r.body <= r.client,
	    `${what}: page is ${r.scroll}px wide in a ${r.client}px viewport`);
	assert.deepEqual(r.wide, [], `${what}: elements wider than the ${r.client}px viewport`);
	await page.mouse.wheel(200, 0);
	assert.equal(await page.evaluate(() => window.scrollX), 0,
	    `${what}: scrolls sideways`);
}

/* No script injected by what a patient typed ran, or even got parsed. */
async function expectNoScriptRan(page, what) {
	/* a stylesheet that fails to load is a problem of its own, not a
	   sign of injected markup: the layout tests catch it */
	assert.deepEqual(page.problems.filter((p) => !/favicon/.test(p) &&
	    !/Refused to apply style from|Connecting to '[^']+\.css'/.test(p)), [],
	    `${what}: no dialog, page error or CSP violation`);
	const r = await page.evaluate(() => ({
		xss: window.__xss === undefined ? null : window.__xss,
		csp: window.__cspViolations || 0,
		imgs: document.querySelectorAll('img[src="x"], img[onerror]').length,
		scripts: [...document.scripts].map((s) => s.src || 'inline'),
		iframes: document.querySelectorAll('iframe').length,
	}));
	assert.equal(r.xss, null, `${what}: an injected script ran`);
	assert.equal(r.csp, 0, `${what}: CSP violations`);
	assert.equal(r.imgs, 0, `${what}: an injected <img> is in the page`);
	assert.equal(r.iframes, 0, `${what}: an injected <iframe> is in the page`);
	for (const s of r.scripts)
		assert.match(s, /^http:\/\/127\.0\.0\.1:\d+\/static\/[a-z-]+\.js$/,
		    `${what}: unexpected script ${s}`);
}

/* ---- screenshots ---- */

async function screenshot(page, name, opts = {}) {
	fs.mkdirSync(OUT_DIR, { recursive: true });
	const file = path.join(OUT_DIR, `${name}.png`);
	await page.screenshot({ path: file, fullPage: !!opts.fullPage,
	    animations: 'disabled', caret: 'hide' });
	const doc = path.join(DOCS_DIR, `${name}.png`);
	if (process.env.UPDATE_SCREENSHOTS === '1') {
		fs.mkdirSync(DOCS_DIR, { recursive: true });
		fs.copyFileSync(file, doc);
	}
	return file;
}

module.exports = {
	REPO, PORT, VARDIR, BASE, CHROMIUM, PHONE, DESKTOP, OUT_DIR, DOCS_DIR,
	launch, closeBrowser, newPage, closePage,
	PAYLOADS, fullIntake, shortIntake, withAnswers, fillAnswers, formValues, submit,
	gotoForm, expectReceipt,
	expectAccessible, expectNoHorizontalScroll, expectNoScriptRan,
	screenshot, AXE_TAGS,
};
