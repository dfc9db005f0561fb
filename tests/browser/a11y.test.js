'use strict';
/*
 * a11y.test.js: the patient pages for everyone: axe-core (WCAG 2.1 A and
 * AA) on the form, its error state and the receipt; the whole form done
 * with the keyboard alone; a 375 px phone without sideways scrolling and
 * with large touch targets; the form's wording and marks.
 */
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib');

after(L.closeBrowser);

/* Fill the form with mistakes the server catches and send it. */
async function errorState(page) {
	await L.fillAnswers(page, L.withAnswers(L.fullIntake(), [
		['phone', 'ask at desk'],
		['email', null],
		['pain_intensity', null],
		['signature_name', 'Someone Else'],
	]));
	await L.submit(page);
	assert.match(await page.title(), /^Please check your answers/);
}

test('axe: no WCAG 2.1 A/AA violation on the form, its error state and the receipt (desktop)', async () => {
	const page = await L.newPage();
	try {
		await L.gotoForm(page);
		await L.expectAccessible(page, 'the form');
		/* with every conditional question revealed */
		await L.fillAnswers(page, L.withAnswers(L.fullIntake(), [
			['conditions', ['skin_problem', 'high_blood_pressure']],
			['injection_recent', 'yes'],
			['recent_injury_date', '2026-01-02'],
			['guardian_name', 'Paolo Rossi'],
		]));
		await L.expectAccessible(page, 'the form with every follow-up question shown');
		await page.reload();
		await errorState(page);
		await L.expectAccessible(page, 'the form with errors');
		await L.fillAnswers(page, [['phone', '416 555 0100'], ['pain_intensity', '2'],
		    ['signature_name', 'Maria Rossi']]);
		await L.submit(page);
		await L.expectReceipt(page);
		await L.expectAccessible(page, 'the receipt');
	} finally {
		await L.closePage(page);
	}
});

test('axe: no WCAG 2.1 A/AA violation on the phone, nor without JavaScript', async () => {
	const page = await L.newPage({ phone: true });
	try {
		await L.gotoForm(page);
		await L.expectAccessible(page, 'the form on a phone');
		await errorState(page);
		await L.expectAccessible(page, 'the form with errors on a phone');
	} finally {
		await L.closePage(page);
	}
	/* axe runs as a script in the page: the page as it is without
	   JavaScript is the page without intake.js (every section shown) */
	const page2 = await L.newPage();
	try {
		await page2.route('**/static/intake.js', (r) => r.fulfill({
		    status: 200, contentType: 'text/javascript', body: '' }));
		await L.gotoForm(page2);
		assert.ok(await page2.locator('#section-back_pain').isVisible());
		await L.expectAccessible(page2, 'the form as shown without JavaScript');
	} finally {
		await L.closePage(page2);
	}
});

/* ---- keyboard only ---- */

/*
 * Complete the form with the keyboard alone: Tab to each control, type
 * into text boxes, arrow keys within a group of radio buttons, Space for a
 * checkbox, Enter to send. The test looks at which control has the focus
 * (as a sighted keyboard user would) but never clicks, and checks the
 * focus can be seen on every control it reaches.
 */
async function keyboardFill(page, pairs, { maxTabs = 400 } = {}) {
	const want = new Map();
	for (const [k, v] of pairs) {
		if (!want.has(k))
			want.set(k, []);
		want.get(k).push(v);
	}
	const done = new Set();
	const unseenFocus = [];
	for (let tabs = 0; tabs < maxTabs; tabs++) {
		await page.keyboard.press('Tab');
		const el = await page.evaluate(() => {
			const a = document.activeElement;
			if (!a || a === document.body)
				return null;
			const cs = getComputedStyle(a);
			const visible = (cs.outlineStyle !== 'none' &&
			    parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== 'none';
			return { tag: a.tagName.toLowerCase(), type: a.type || '',
			    name: a.name || '', id: a.id, value: a.value,
			    checked: !!a.checked, text: (a.textContent || '').trim(),
			    visible };
		});
		if (el === null)
			continue;
		if (!el.visible)
			unseenFocus.push(el.id || el.tag);
		if (el.tag === 'button' && /send my answers/i.test(el.text)) {
			const missing = [...want.keys()].filter((k) => !done.has(k));
			assert.deepEqual(missing, [], 'every answer given before the button');
			await Promise.all([page.waitForNavigation(),
			    page.keyboard.press('Enter')]);
			return { unseenFocus };
		}
		if (!want.has(el.name) || done.has(el.name + '\0' + el.id))
			continue;
		const vals = want.get(el.name);
		if (el.type === 'radio') {
			/* arrow keys move and choose within the group */
			let guard = 0;
			let cur = el;
			if (!cur.checked && cur.value === vals[0])
				await page.keyboard.press('Space');
			while (cur.value !== vals[0] && guard++ < 30) {
				await page.keyboard.press('ArrowDown');
				cur = await page.evaluate(() => ({
				    value: document.activeElement.value,
				    checked: document.activeElement.checked }));
			}
			assert.equal(await page.evaluate((n) => {
				const c = document.querySelector(`[name="${n}"]:checked`);
				return c && c.value;
			}, el.name), vals[0], `${el.name} chosen with the arrow keys`);
			done.add(el.name);
		} else if (el.type === 'checkbox') {
			if (vals.includes(el.value) !== el.checked)
				await page.keyboard.press('Space');
			done.add(el.name + '\0' + el.id);
			if ((await page.evaluate((n) => [...document.querySelectorAll(
			    `[name="${n}"]:checked`)].map((c) => c.value), el.name))
			    .sort().join() === vals.slice().sort().join())
				done.add(el.name);
		} else if (el.type === 'date') {
			/* Chromium's date box: month, day, year (en-US), typed */
			const [y, m, d] = vals[0].split('-');
			await page.keyboard.type(`${m}${d}${y}`);
			assert.equal(await page.evaluate(() => document.activeElement.value),
			    vals[0], `${el.name} typed`);
			done.add(el.name);
			done.add(el.name + '\0' + el.id);
		} else {
			await page.keyboard.press('Control+A');
			await page.keyboard.type(vals[0]);
			done.add(el.name);
			done.add(el.name + '\0' + el.id);
		}
	}
	throw new Error(`the send button was not reached in ${maxTabs} presses of Tab`);
}

test('keyboard only: the whole form, an error, the summary link, the fix, the receipt', async () => {
	const page = await L.newPage();
	try {
		await L.gotoForm(page);
		const answers = L.withAnswers(L.fullIntake(), [
			['signature_name', 'Maria R.'],	/* a mistake */
			['reason_for_visit', 'Lower back ache, and a stiff neck.'],
		]);
		const r = await keyboardFill(page, answers);
		assert.deepEqual(r.unseenFocus, [], 'the focus is visible on every control');

		/* the error page: the summary has the focus; Tab reaches its link */
		assert.match(await page.title(), /^Please check your answers/);
		assert.equal(await page.evaluate(() => document.activeElement.id), 'error-summary');
		let id = '';
		for (let i = 0; i < 10 && id !== 'signature_name'; i++) {
			await page.keyboard.press('Tab');
			const href = await page.evaluate(() =>
			    document.activeElement.getAttribute('href'));
			if (href === '#signature_name') {
				await page.keyboard.press('Enter');
				id = await page.evaluate(() => document.activeElement.id);
			}
		}
		assert.equal(id, 'signature_name', 'Enter on the summary link focuses the field');
		await page.keyboard.press('Control+A');
		await page.keyboard.type('Maria Rossi');
		/* Enter in a text box sends the form */
		await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
		await L.expectReceipt(page);
	} finally {
		await L.closePage(page);
	}
});

/* ---- a 375 px phone ---- */

test('phone, 375 px: no sideways scrolling, large touch targets, on every patient page', async () => {
	const page = await L.newPage({ phone: true });
	try {
		await L.gotoForm(page);
		assert.equal(await page.evaluate(() => innerWidth), 375);
		await L.screenshot(page, 'form-phone');
		await L.expectNoHorizontalScroll(page, 'the form');
		await touchTargets(page, 'the form');

		await L.fillAnswers(page, L.withAnswers(L.fullIntake(), [
			['conditions', ['implant_device', 'high_blood_pressure']],
			['injection_recent', 'yes'],
			['guardian_name', 'Paolo Rossi'],
			['medications', 'A-very-long-medicine-name-without-any-spaces-'
			    + 'that-could-push-the-page-wider-than-a-phone-screen'],
		]));
		await page.locator('#section-back_pain').scrollIntoViewIfNeeded();
		await L.screenshot(page, 'form-back-pain-phone');
		await L.expectNoHorizontalScroll(page, 'the form with every follow-up shown');
		await touchTargets(page, 'the form with every follow-up shown');

		await page.reload();
		await errorState(page);
		await L.screenshot(page, 'form-errors-phone');
		await L.expectNoHorizontalScroll(page, 'the form with errors');
		await touchTargets(page, 'the form with errors');

		await L.fillAnswers(page, [['phone', '416 555 0100'], ['pain_intensity', '2'],
		    ['signature_name', 'Maria Rossi']]);
		await L.submit(page);
		await L.expectReceipt(page);
		await L.screenshot(page, 'receipt-phone');
		await L.expectNoHorizontalScroll(page, 'the receipt');
		await touchTargets(page, 'the receipt');

		for (const p of ['/intake/consent', '/intake/?invite=not-a-real-invite']) {
			await page.goto(p);
			await L.expectNoHorizontalScroll(page, p);
		}
	} finally {
		await L.closePage(page);
	}
	const nojs = await L.newPage({ phone: true, js: false });
	try {
		await L.gotoForm(nojs);
		await L.expectNoHorizontalScroll(nojs, 'the form without JavaScript');
	} finally {
		await L.closePage(nojs);
	}
});

/*
 * Every control a finger aims at is at least 44 by 44 CSS pixels
 * (WCAG 2.5.5): a radio button or a checkbox counts with its label, which
 * is part of the target.
 */
async function touchTargets(page, what) {
	const small = await page.evaluate(() => {
		const out = [];
		const seen = (el) => {
			const cs = getComputedStyle(el);
			return el.getClientRects().length > 0 && cs.visibility !== 'hidden' &&
			    !el.closest('[hidden], .visually-hidden');
		};
		for (const el of document.querySelectorAll(
		    'input:not([type=hidden]), textarea, select, button, form a, .error-summary a')) {
			if (!seen(el))
				continue;
			let box = el.getBoundingClientRect();
			let name = el.id || el.name || el.textContent.trim().slice(0, 30);
			if (el.type === 'radio' || el.type === 'checkbox') {
				const row = el.closest('.choice') || el.parentElement;
				box = row.getBoundingClientRect();
				const label = document.querySelector(`label[for="${el.id}"]`);
				if (!label || !row.contains(label))
					out.push(`${name}: no label beside it`);
			}
			if (el.tagName === 'A' && getComputedStyle(el).display === 'inline')
				continue;	/* links in running text: WCAG 2.5.5 exempts them */
			if (box.height < 44 - 0.5 || box.width < 44 - 0.5)
				out.push(`${name}: ${Math.round(box.width)}x${Math.round(box.height)}`);
		}
		return out;
	});
	assert.deepEqual(small, [], `${what}: touch targets smaller than 44x44 px`);
}

/* ---- the form reads well ---- */

test('the form reads well: grouped sections, a label for every field, required marked in words, hints', async () => {
	const page = await L.newPage({ js: false });
	try {
		await L.gotoForm(page);
		const r = await page.evaluate(() => {
			const form = document.querySelector('form.intake');
			const out = { problems: [], sections: [], required: 0, hints: 0, conditional: 0 };
			for (const fs of form.querySelectorAll(':scope > fieldset.section')) {
				const legend = fs.querySelector(':scope > legend');
				const h2 = legend && legend.querySelector('h2');
				out.sections.push(h2 ? h2.textContent.trim() : '(no heading)');
			}
			for (const el of form.querySelectorAll('input, textarea, select')) {
				if (el.type === 'hidden')
					continue;
				const label = document.querySelector(`label[for="${el.id}"]`);
				if (!el.id || !label || !label.textContent.trim())
					out.problems.push(`${el.name}: no <label for>`);
				const group = el.closest('fieldset.choices');
				const title = group ? group.querySelector('legend').textContent
				    : label ? label.textContent : '';
				if (el.required) {
					out.required++;
					if (!/\(required\)/.test(title))
						out.problems.push(`${el.name}: required, but not said in words`);
				}
				for (const ref of (el.getAttribute('aria-describedby') || '')
				    .split(' ').filter(Boolean)) {
					const d = document.getElementById(ref);
					if (!d || !d.textContent.trim())
						out.problems.push(`${el.name}: describedby ${ref} is missing`);
					else if (/-hint$/.test(ref))
						out.hints++;
				}
			}
			/* "(required)" on a question the browser does not enforce:
			   a group of checkboxes (at least one), or a question that
			   applies only sometimes and says when, in words */
			for (const q of form.querySelectorAll('.question')) {
				const input = q.querySelector('input, textarea');
				if (input.required || !q.querySelector('.required'))
					continue;
				const when = document.getElementById(`${input.name}-when`) ||
				    q.closest('[data-when]') && document.getElementById(
				    `${q.closest('fieldset.section').id}-when`);
				if (input.type !== 'checkbox' && !(when && /^If /.test(when.textContent)))
					out.problems.push(`${input.name}: "(required)" but not enforced nor explained`);
				else
					out.conditional++;
			}
			out.lang = document.documentElement.lang;
			out.h1 = [...document.querySelectorAll('h1')].map((h) => h.textContent.trim());
			out.intro = document.querySelector('main p').textContent;
			return out;
		});
		assert.deepEqual(r.problems, []);
		assert.equal(r.lang, 'en');
		assert.deepEqual(r.h1, ['Before your visit']);
		assert.deepEqual(r.sections, ['About you', 'Your visit', 'Pain',
		    'Back pain safety questions', 'Your health today', 'Your consent']);
		assert.ok(r.required >= 15, `${r.required} fields marked required`);
		assert.ok(r.hints >= 8, `${r.hints} fields with a hint`);
		assert.ok(r.conditional >= 15, `${r.conditional} conditional questions say when`);
		const lead = await page.locator('main').innerText();
		assert.match(lead, /Questions marked “\(required\)” must be answered/);

		/* the required mark is text, not a colour or a star alone */
		const mark = page.locator('label[for="given_name"] .required');
		assert.equal(await mark.innerText(), '(required)');
		/* conditional and "either" questions explain themselves */
		assert.match(await page.locator('#email-hint').innerText(), /email or a phone/i);
		assert.match(await page.locator('#pain_areas-when').innerText(),
		    /^If you answered “Yes” to “Do you have any pain today\?”/);
		assert.match(await page.locator('#date_of_birth-hint').innerText(), /for example/i);
		/* plain words: no Latin or clinical jargon where a plain phrase exists */
		const text = await page.locator('form').innerText();
		for (const jargon of [/contraindicat/i, /\bcauda equina/i, /\bDVT\b/, /thrombo/i,
		    /\bparesthesia/i, /\bincontinence/i, /\bhypertension/i, /\bpre-?eclampsia/i])
			assert.doesNotMatch(text, jargon);
		/* average sentence length: short sentences read easily */
		const sentences = text.split(/[.?!:]\s+|\n+/).map((s) => s.trim())
		    .filter((s) => s.split(/\s+/).length > 2);
		const words = sentences.reduce((n, s) => n + s.split(/\s+/).length, 0);
		assert.ok(words / sentences.length < 20,
		    `sentences average ${(words / sentences.length).toFixed(1)} words`);
	} finally {
		await L.closePage(page);
	}
});
