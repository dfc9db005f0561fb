'use strict';
/*
 * intake.test.js: a patient fills in the form at /intake/ in Chromium,
 * through nginx, the intake worker and PostgreSQL (tests/run-browser).
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib');

after(L.closeBrowser);

/* A conditional question or section, shown or hidden by intake.js. */
async function shown(page, selector) {
	return page.locator(selector).isVisible();
}

test('a patient fills in the whole form, submits it and sees the receipt', async () => {
	const page = await L.newPage();
	try {
		await L.gotoForm(page);
		assert.match(await page.title(), /^Before your visit/);
		await L.screenshot(page, 'form-desktop');

		/* the script hides what does not apply yet */
		assert.equal(await shown(page, '#section-back_pain'), false,
		    'back-pain questions hidden before any pain area is chosen');
		assert.equal(await shown(page, '#q-pregnancy_weeks'), false,
		    'pregnancy follow-ups hidden before "pregnant" is answered');
		assert.equal(await shown(page, '#q-pain_areas'), false,
		    'pain areas hidden before "pain today" is answered');

		const answers = L.fullIntake();
		const at = (id) => answers.findIndex(([k]) => k === id);
		await L.fillAnswers(page, answers.slice(0, at('pain_areas')));
		assert.equal(await shown(page, '#q-pain_areas'), true,
		    '"Yes" to pain today reveals the pain areas');
		await L.fillAnswers(page, [['pain_areas', 'neck']]);
		assert.equal(await shown(page, '#section-back_pain'), false,
		    'neck pain alone asks no back-pain question');
		await L.fillAnswers(page, [['pain_areas', 'lower_back']]);
		assert.equal(await shown(page, '#section-back_pain'), true,
		    'choosing "Lower back" reveals the back-pain safety questions');
		await page.locator('#section-back_pain').scrollIntoViewIfNeeded();
		await L.screenshot(page, 'form-back-pain-desktop');

		await L.fillAnswers(page, answers.slice(at('pain_intensity'), at('pregnancy_weeks')));
		for (const q of ['pregnancy_weeks', 'pregnancy_high_risk', 'pregnancy_symptoms'])
			assert.equal(await shown(page, `#q-${q}`), true,
			    `"pregnant: yes" reveals ${q}`);
		await L.fillAnswers(page, answers.slice(at('pregnancy_weeks')));
		/* another answer hides the follow-ups again, keeping what was typed */
		await L.fillAnswers(page, [['pregnant', 'postpartum']]);
		assert.equal(await shown(page, '#q-pregnancy_weeks'), false);
		assert.equal(await shown(page, '#q-pregnancy_symptoms'), true,
		    'postpartum still asks about symptoms');
		await L.fillAnswers(page, [['pregnant', 'yes']]);
		assert.equal(await page.locator('#pregnancy_weeks').inputValue(), '24');

		assert.deepEqual((await L.formValues(page)).sort(), answers.slice().sort(),
		    'the form holds exactly the answers given');
		await L.submit(page);
		const ref = await L.expectReceipt(page);
		assert.equal(await page.locator('[role="alert"]').count(), 0,
		    'no urgent answer: no alert on the receipt');
		const body = await page.locator('body').innerText();
		for (const secret of ['second trimester', 'Prenatal', 'Scented', 'Side-lying'])
			assert.ok(!body.includes(secret), `the receipt shows no health answer (${secret})`);
		assert.ok(body.includes(ref));
		await L.screenshot(page, 'receipt-desktop');
		await L.expectNoScriptRan(page, 'the receipt');

	} finally {
		await L.closePage(page);
	}
});

/*
 * Mistakes the browser cannot catch by itself (the server's rules): no
 * way to reach the patient, a phone number with letters, a birth date in
 * the future, pain with no place, a signature that is not the patient's.
 */
const BACK_PAIN = [['rf_leg_weakness', 'no'], ['rf_cancer_history', 'no'],
    ['rf_weight_loss', 'no'], ['rf_fever', 'no'], ['rf_trauma', 'no'],
    ['rf_night_pain', 'no'], ['rf_immunosuppressed', 'no']];
const MISTAKES = [
	['email', null],
	['phone', 'call me after 5'],
	['date_of_birth', '2099-01-01'],
	['pain_areas', null],
	['pain_intensity', null],
	/* with no pain area chosen, the back-pain questions stay hidden */
	...BACK_PAIN.map(([k]) => [k, null]),
	['signature_name', 'Somebody Else'],
];
const MISTAKE_FIELDS = ['phone', 'date_of_birth', 'pain_areas', 'pain_intensity',
    'signature_name'];

test('a patient makes mistakes, follows the error summary, finds every value kept, fixes them and submits', async () => {
	const page = await L.newPage();
	try {
		await L.gotoForm(page);
		const answers = L.withAnswers(L.fullIntake(), [
		    ...MISTAKES,
		    ['reason_for_visit', 'Sore neck — “since Tuesday”,\n'
			+ 'after moving house & lifting boxes <heavy ones>.'],
		    ['conditions', ['varicose_veins', 'diabetes']],
		    ['given_name', 'Zoë'],
		    ['family_name', "O'Brien-Nguyễn"],
		]);
		await L.fillAnswers(page, answers);
		const sent = await L.formValues(page);
		await L.submit(page);

		/* the form again, with the summary first */
		assert.match(await page.title(), /^Please check your answers/,
		    'the title says there is a problem');
		const summary = page.locator('#error-summary');
		await summary.waitFor();
		assert.equal(await page.evaluate(() => document.activeElement.id),
		    'error-summary', 'the error summary has the focus');
		await L.screenshot(page, 'form-errors-desktop');

		/* every value the patient entered is still there */
		assert.deepEqual((await L.formValues(page)).sort(), sent.sort(),
		    'every value kept after the error');

		/* the summary links to each field with a problem */
		const links = summary.locator('a[href^="#"]');
		const n = await links.count();
		assert.ok(n >= MISTAKE_FIELDS.length,
		    `the summary lists each mistake (${n} links)`);
		const linked = new Set();
		for (let i = 0; i < n; i++) {
			const link = links.nth(i);
			const href = await link.getAttribute('href');
			const text = (await link.innerText()).trim();
			assert.ok(text.length > 10, `link ${href} says what is wrong`);
			await link.click();
			const focus = await page.evaluate(() => {
				const el = document.activeElement;
				const q = el.closest('.question');
				const b = el.getBoundingClientRect();
				return { id: el.id, name: el.name, q: q && q.id,
				    inView: b.top >= 0 && b.bottom <= innerHeight,
				    described: el.getAttribute('aria-describedby') || '' };
			});
			assert.equal(`#${focus.id}`, href, `following ${href} focuses the field`);
			assert.ok(focus.inView, `${href}: the field is in view`);
			const errId = `${focus.name}-error`;
			assert.ok(focus.described.split(' ').includes(errId),
			    `${href}: the field is described by its message`);
			assert.ok(await page.locator(`#${errId}`).isVisible(),
			    `${href}: the message is beside the field`);
			linked.add(focus.name);
		}
		for (const f of MISTAKE_FIELDS)
			assert.ok(linked.has(f), `the summary links to ${f}`);
		assert.equal(await page.locator('#phone').getAttribute('aria-invalid'), 'true');
		assert.ok(await page.locator('#q-signature_name.question-error').isVisible());

		/* fix them */
		await L.fillAnswers(page, [
			['phone', '+1 416 555 0199'],
			['date_of_birth', '1979-11-30'],
			['pain_areas', 'neck'],
			['pain_areas', 'lower_back'],
			...BACK_PAIN,
			['pain_intensity', '6'],
			['signature_name', "zoë  o'brien-nguyễn"],
		]);
		await L.submit(page);
		await L.expectReceipt(page);
		assert.equal(await page.locator('[role="alert"]').count(), 0);
		await L.expectNoScriptRan(page, 'the receipt after fixing');
	} finally {
		await L.closePage(page);
	}
});

test('with JavaScript turned off, every question shows and the form still submits', async () => {
	const page = await L.newPage({ js: false });
	try {
		await L.gotoForm(page);
		/* nothing is hidden: each conditional question says when it applies */
		for (const sel of ['#section-back_pain', '#q-pain_areas', '#q-pregnancy_weeks',
		    '#q-injection_area', '#q-guardian_relationship'])
			assert.equal(await shown(page, sel), true, `${sel} is on the page`);
		assert.match(await page.locator('#section-back_pain-when').innerText(),
		    /^If you chose “Middle back” or “Lower back”|^If you chose “Lower back” or “Middle back”/,
		    'the back-pain section says in words when it applies');
		assert.match(await page.locator('#pregnancy_weeks-when').innerText(),
		    /^If you chose “Yes” for “Are you pregnant\?”/);

		/* a mistake first: the server's summary works without a script */
		await L.fillAnswers(page, L.withAnswers(L.fullIntake(), [
			['signature_name', 'M. Rossi'],
			/* answers to questions that do not apply are dropped */
			['injection_area', 'left knee'],
		]));
		await L.submit(page);
		assert.match(await page.title(), /^Please check your answers/);
		const link = page.locator('#error-summary a[href="#signature_name"]');
		await link.click();
		assert.equal(new URL(page.url()).hash, '#signature_name');
		assert.ok(await page.locator('#signature_name').isVisible());
		assert.equal(await page.locator('#injection_area').inputValue(), 'left knee',
		    'kept, even though it does not apply');
		await L.screenshot(page, 'form-errors-nojs-desktop');

		await page.locator('#signature_name').fill('Maria Rossi');
		await L.submit(page);
		await L.expectReceipt(page);
		assert.equal(await page.locator('[role="alert"]').count(), 0);
	} finally {
		await L.closePage(page);
	}
});

test('an urgent red-flag answer shows the alert on the receipt, most urgent first', async () => {
	const page = await L.newPage({ phone: true });
	try {
		await L.gotoForm(page);
		await L.fillAnswers(page, L.withAnswers(L.shortIntake('Jamie', 'Chen'), [
			['rf_bladder_bowel', 'yes'],	/* cauda equina: emergency */
			['leg_swelling', 'yes'],	/* possible DVT: same day */
		]));
		await L.submit(page);
		await L.expectReceipt(page);
		const alerts = page.locator('[role="alert"]');
		assert.equal(await alerts.count(), 1, 'exactly one role="alert"');
		const alert = alerts.first();
		assert.ok(await alert.isVisible());
		const text = await alert.innerText();
		assert.match(text, /emergency department now/i);
		assert.match(text, /see a doctor today/i);
		assert.ok(text.search(/emergency department now/i) <
		    text.search(/see a doctor today/i), 'the most urgent advice comes first');
		assert.match(text, /do not wait for your massage appointment/i);
		/* the alert is the first thing after the heading */
		const top = await alert.boundingBox();
		assert.ok(top.y < L.PHONE.height, 'the alert is on the first screen');
		await L.screenshot(page, 'receipt-urgent-phone', { fullPage: true });
		await L.expectAccessible(page, 'the receipt with urgent advice');
	} finally {
		await L.closePage(page);
	}
});

test('script typed into free-text fields is kept as text on the page and never runs', async () => {
	const page = await L.newPage();
	try {
		await L.gotoForm(page);
		await L.fillAnswers(page, L.withAnswers(L.shortIntake(), [
			...Object.entries(L.PAYLOADS),
			['signature_name', 'Not Me'],
		]));
		await L.submit(page);
		assert.match(await page.title(), /^Please check your answers/);
		for (const [id, value] of Object.entries(L.PAYLOADS))
			assert.equal(await page.locator(`#${id}`).inputValue(), value,
			    `${id} comes back as the same text`);
		await page.locator('#emergency_contact_name').hover();
		await L.expectNoScriptRan(page, 'the form after an error');
		await page.locator('#signature_name').fill('Alex Tremblay');
		await L.submit(page);
		await L.expectReceipt(page);
		await L.expectNoScriptRan(page, 'the receipt');
	} finally {
		await L.closePage(page);
	}
});
