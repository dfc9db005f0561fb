'use strict';
/*
 * clinic.test.js: the clinic side (/clinic/) with the patient in the
 * middle, in one story that runs in order:
 *
 *   front desk signs in and creates an appointment -> its invite link ->
 *   the patient opens it and submits (an urgent answer, a caution answer,
 *   and markup typed into free text) -> a therapist signs in, finds the
 *   urgent flag on the dashboard, opens the intake (the markup shows as
 *   text and never runs), records decisions -> the dashboard updates.
 *
 * axe-core (WCAG 2.1 A/AA) on the login page, the dashboard, the
 * appointment pages and the intake page; a 375 px phone on each.
 *
 * tests/run-browser runs this file only when build/bin/clinic-worker is
 * built and GET /clinic/login answers 200; otherwise it reports these
 * tests as WAITING (not run, not counted as passed).
 *
 * Accounts: the ones tools/stack writes to VARDIR/initial-passwords when
 * there are any for the roles needed, else new ones made with
 * `intakectl staff-add` (the password on standard input).
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const L = require('./lib');

after(L.closeBrowser);

const CONF = path.join(L.VARDIR, 'etc', 'clinic.conf');
const INTAKECTL = [path.join(L.VARDIR, 'share', 'bin', 'intakectl'),
    path.join(L.REPO, 'build', 'bin', 'intakectl')].find((p) => fs.existsSync(p));

/* ---- accounts ---- */

const ROLES = ['therapist', 'front_desk', 'admin'];

/*
 * VARDIR/initial-passwords: one account a line. Read leniently: the
 * username is the first word, the password the last, the role any word
 * naming one ("user role password", "user:role:password", ...).
 */
function initialPasswords() {
	const file = path.join(L.VARDIR, 'initial-passwords');
	const out = {};
	let text;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch {
		return out;
	}
	for (const line of text.split('\n')) {
		if (/^\s*(#|$)/.test(line))
			continue;
		const words = line.trim().split(/[\s:=,]+/).filter(Boolean);
		const role = words.find((w) => ROLES.includes(w.toLowerCase()));
		if (role && words.length >= 3 && !out[role.toLowerCase()])
			out[role.toLowerCase()] = { username: words[0],
			    password: words[words.length - 1] };
	}
	return out;
}

function staffAdd(username, role, display, password) {
	assert.ok(INTAKECTL, 'intakectl is built');
	/* intakectl staff-add USERNAME ROLE [--name NAME]; the password is
	   one line on standard input */
	execFileSync(INTAKECTL, ['-c', CONF, 'staff-add', username, role,
	    '--name', display], { input: `${password}\n`,
	    stdio: ['pipe', 'pipe', 'pipe'] });
}

const accounts = {};
function account(role) {
	if (accounts[role])
		return accounts[role];
	const initial = initialPasswords()[role];
	if (initial)
		return (accounts[role] = initial);
	const a = {
		username: `e2e.${role.replace('_', '')}.${process.pid}`,
		password: `Correct horse ${role} battery ${process.pid}!`,
	};
	staffAdd(a.username, role, role === 'therapist' ? 'Robin Therapist'
	    : 'Casey Front Desk', a.password);
	return (accounts[role] = a);
}

/* Sign in through the login page; the browser keeps the session cookie. */
async function signIn(page, role) {
	const a = account(role);
	await page.goto('/clinic/login');
	await page.locator('[name="username"]').fill(a.username);
	await page.locator('[name="password"]').fill(a.password);
	const [resp] = await Promise.all([page.waitForNavigation(),
	    page.locator('form:has([name="password"]) [type="submit"]').click()]);
	await refusedHow(page, resp, `${role} signing in`);
	assert.equal(new URL(page.url()).pathname, '/clinic/', `${role} signed in`);
	return a;
}

/*
 * A 403 to a form the page itself sent: say what the page says, and what
 * the browser sent as Origin (under Referrer-Policy: no-referrer, browsers
 * send "Origin: null" with every form POST).
 */
async function refusedHow(page, resp, what) {
	if (!resp || resp.status() !== 403)
		return;
	const origin = await resp.request().headerValue('origin');
	const said = (await page.locator('main').innerText().catch(() => '')).trim();
	assert.fail(`${what}: 403 to the page's own form (the browser sent ` +
	    `Origin: ${origin}); the page says: ${said.split('\n').filter((l) => l.trim()).slice(0, 2).join(' / ')}`);
}

/* ---- the story's shared state ---- */

const story = {
	patient: { given: 'Priya', family: `Okafor-${process.pid}` },
	invite: null,		/* the invite URL */
	reference: null,	/* the receipt's reference code */
	intakeUrl: null,
};
const patientName = () => `${story.patient.given} ${story.patient.family}`;

/* Tomorrow at 10:00, clinic time (America/Toronto), as YYYY-MM-DDTHH:MM. */
function tomorrowAt10() {
	const d = new Date(Date.now() + 36 * 3600 * 1000);
	const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Toronto',
	    year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
	return `${day}T10:00`;
}

/* Set a field whatever control the page uses: text, select or radios. */
async function setField(page, scope, name, value) {
	const el = scope.locator(`[name="${name}"]`);
	const first = el.first();
	const tag = await first.evaluate((e) => e.tagName.toLowerCase());
	const type = await first.getAttribute('type');
	if (tag === 'select')
		await first.selectOption(value);
	else if (type === 'radio' || type === 'checkbox')
		await scope.locator(`[name="${name}"][value="${value}"]`).check();
	else
		await first.fill(value);
}

/* The dashboard row (table row or list item) about our patient. */
/*
 * The row that names our patient in a cell of its own: an unassigned
 * intake's "assign to" list names every appointment, ours included, and
 * must not count as a match.
 */
function dashboardRow(page) {
	return page.locator('tr').filter({
		has: page.locator('td:not(:has(select))', { hasText: story.patient.family })
	}).last();
}

async function phoneCheck(url, what) {
	const page = await L.newPage({ phone: true });
	try {
		await signIn(page, 'therapist');
		await page.goto(url);
		await L.expectNoHorizontalScroll(page, what);
		return page;
	} catch (e) {
		await L.closePage(page);
		throw e;
	}
}

/* ---- the tests, in order ---- */

test('clinic: the login page is accessible, fits a phone, and refuses a wrong password', async () => {
	const page = await L.newPage();
	try {
		const resp = await page.goto('/clinic/login');
		assert.equal(resp.status(), 200);
		assert.ok(await page.getByLabel(/user ?name/i).isVisible(), 'a labelled username field');
		assert.ok(await page.getByLabel(/password/i).isVisible(), 'a labelled password field');
		await L.screenshot(page, 'clinic-login-desktop');
		await L.expectAccessible(page, 'the login page');

		/* a page behind the login sends there */
		await page.goto('/clinic/');
		assert.equal(new URL(page.url()).pathname, '/clinic/login');

		await page.locator('[name="username"]').fill(account('therapist').username);
		await page.locator('[name="password"]').fill('not the password');
		const [r] = await Promise.all([page.waitForNavigation(),
		    page.locator('form:has([name="password"]) [type="submit"]').click()]);
		await refusedHow(page, r, 'a wrong password');
		assert.equal(r.status(), 401, 'a wrong password answers 401');
		assert.equal(new URL(page.url()).pathname, '/clinic/login');
		await L.expectAccessible(page, 'the login page with its error');
	} finally {
		await L.closePage(page);
	}
	const phone = await L.newPage({ phone: true });
	try {
		await phone.goto('/clinic/login');
		await L.expectNoHorizontalScroll(phone, 'the login page');
		await L.screenshot(phone, 'clinic-login-phone');
	} finally {
		await L.closePage(phone);
	}
});

test('clinic: the front desk creates an appointment and gets its invite link', async () => {
	const page = await L.newPage();
	try {
		await signIn(page, 'front_desk');
		await page.goto('/clinic/appointments');
		await L.expectAccessible(page, 'the appointments page');
		const form = page.locator('form:has([name="patient_name"])');
		await setField(page, form, 'patient_name', patientName());
		await setField(page, form, 'email', 'priya.okafor@example.org');
		await setField(page, form, 'starts_at', tomorrowAt10());
		await setField(page, form, 'therapist', account('therapist').username);
		await setField(page, form, 'modality', 'deep_tissue');
		await Promise.all([page.waitForNavigation(),
		    form.locator('[type="submit"]').click()]);
		assert.match(new URL(page.url()).pathname, /^\/clinic\/appointments\/[^/]+$/,
		    'the new appointment has its own page');
		const html = await page.content();
		const m = /\/intake\/\?invite=([A-Za-z0-9_.~%-]+)/.exec(html);
		assert.ok(m, 'the appointment page shows its invite link');
		story.invite = `/intake/?invite=${m[1]}`;
		assert.ok((await page.locator('body').innerText()).includes(patientName()));
		await L.screenshot(page, 'clinic-appointment-desktop');
		await L.expectAccessible(page, 'the appointment page');
	} finally {
		await L.closePage(page);
	}
});

test('clinic: the patient opens the invite link and submits', async () => {
	assert.ok(story.invite, 'an invite link from the previous test');
	const page = await L.newPage();
	try {
		const resp = await page.goto(story.invite);
		assert.equal(resp.status(), 200);
		assert.equal(await page.locator('input[type="hidden"][name="invite"]').count(), 1,
		    'the form carries the invite');
		await L.fillAnswers(page, L.withAnswers(
		    L.shortIntake(story.patient.given, story.patient.family), [
			...Object.entries(L.PAYLOADS),
			['leg_swelling', 'yes'],	/* urgent: possible_dvt */
			['anticoagulant', 'yes'],	/* caution: anticoagulant */
		]));
		await L.submit(page);
		story.reference = await L.expectReceipt(page);
		assert.equal(await page.locator('[role="alert"]').count(), 1);
		await L.expectNoScriptRan(page, 'the receipt');
	} finally {
		await L.closePage(page);
	}
});

test('clinic: a therapist finds the flag on the dashboard, opens the intake, decides, and the dashboard updates', async () => {
	assert.ok(story.reference, 'an intake from the previous test');
	const page = await L.newPage();
	try {
		await signIn(page, 'therapist');
		const row = dashboardRow(page);
		await row.waitFor();
		const rowText = await row.innerText();
		assert.match(rowText, /urgent/i, 'the dashboard shows the urgent flag');
		assert.match(rowText, /submitted/i, 'the intake is submitted, not yet reviewed');
		/* urgent ones first, in every list of the dashboard */
		const order = await page.evaluate(() => [...document.querySelectorAll('table')]
		    .map((t) => [...t.querySelectorAll('tbody tr, tr:not(:first-child)')]
		    .map((tr) => /\burgent\b/i.test(tr.innerText))));
		for (const list of order)
			assert.ok(list.indexOf(false) < 0 || !list.slice(list.indexOf(false)).includes(true),
			    `urgent rows come first: ${JSON.stringify(list)}`);
		await L.screenshot(page, 'clinic-dashboard-desktop');
		await L.expectAccessible(page, 'the dashboard');

		await Promise.all([page.waitForNavigation(),
		    row.locator('a[href*="/clinic/intakes/"]').first().click()]);
		story.intakeUrl = new URL(page.url()).pathname;
		assert.match(story.intakeUrl, /^\/clinic\/intakes\/[^/.]+$/);
		const body = await page.locator('body').innerText();
		assert.ok(body.includes(story.patient.family), 'the intake names the patient');

		/* what the patient typed is text on the page, and nothing ran */
		const flat = (t) => t.replace(/\s+/g, ' ').trim();
		for (const [id, value] of Object.entries(L.PAYLOADS))
			assert.ok(flat(body).includes(flat(value)), `${id} is shown as the text typed`);
		await page.locator('body').hover();
		await L.expectNoScriptRan(page, 'the therapist\'s intake page');
		await L.screenshot(page, 'clinic-intake-desktop');
		await L.screenshot(page, 'clinic-intake-full-desktop', { fullPage: true });
		await L.expectAccessible(page, 'the intake page');

		/* one form per flag; the urgent one takes only defer or refer */
		const flagForms = page.locator('form[action*="/flags/"]');
		assert.ok(await flagForms.count() >= 2, 'a decision form for each flag');
		const urgentForm = flagForms.filter({ has: page.locator('[value="refer"]') })
		    .filter({ hasNot: page.locator('[value="proceed"]') }).first();
		await setField(page, urgentForm, 'decision', 'refer');
		await urgentForm.locator('[name="note"]').fill(
		    'Called the patient: see a doctor today about the calf.');
		await Promise.all([page.waitForNavigation(),
		    urgentForm.locator('[type="submit"]').click()]);
		assert.equal(new URL(page.url()).pathname, story.intakeUrl, 'back on the intake');
		assert.match(await page.locator('body').innerText(), /refer/i,
		    'the decision shows on the intake');
		await L.expectAccessible(page, 'the intake page after a decision');

		/* the dashboard: the urgent flag is decided; caution remains */
		await page.goto('/clinic/');
		let text = await dashboardRow(page).innerText();
		assert.doesNotMatch(text, /urgent/i, 'no undecided urgent flag any more');
		assert.match(text, /caution/i, 'the caution flag is still undecided');

		/* decide the rest: the intake becomes reviewed */
		await page.goto(story.intakeUrl);
		const rest = page.locator('form[action*="/flags/"]', {
		    has: page.locator('[value="proceed"]') });
		const n = await rest.count();
		for (let i = 0; i < n; i++) {
			const f = page.locator('form[action*="/flags/"]', {
			    has: page.locator('[value="proceed"]') }).nth(i);
			await setField(page, f, 'decision', 'modify');
			await f.locator('[name="note"]').fill('Light pressure only.');
			await Promise.all([page.waitForNavigation(),
			    f.locator('[type="submit"]').click()]);
		}
		await page.goto('/clinic/');
		text = await dashboardRow(page).innerText();
		assert.match(text, /reviewed/i, 'every flag decided: reviewed');
		await L.screenshot(page, 'clinic-dashboard-reviewed-desktop');
	} finally {
		await L.closePage(page);
	}
});

test('clinic: the dashboard and the intake page fit a 375 px phone', async () => {
	assert.ok(story.intakeUrl, 'an intake page from the previous test');
	const page = await phoneCheck('/clinic/', 'the dashboard');
	try {
		await L.screenshot(page, 'clinic-dashboard-phone');
		await page.goto(story.intakeUrl);
		await L.expectNoHorizontalScroll(page, 'the intake page');
		await L.screenshot(page, 'clinic-intake-phone');
		await L.expectAccessible(page, 'the intake page on a phone');
	} finally {
		await L.closePage(page);
	}
});

test('clinic: the front desk sees status and severity, not the answers', async () => {
	assert.ok(story.intakeUrl, 'an intake page from the previous test');
	const page = await L.newPage();
	try {
		await signIn(page, 'front_desk');
		const row = dashboardRow(page);
		await row.waitFor();
		assert.match(await row.innerText(), /reviewed/i);
		const resp = await page.goto(story.intakeUrl);
		assert.equal(resp.status(), 403, 'front desk: no intake answers');
		const text = await page.locator('body').innerText();
		assert.ok(!text.includes('Tight shoulders'), 'no answer on the 403 page');
	} finally {
		await L.closePage(page);
	}
});
