/*
 * intake.js: small improvements to the intake form. The form works fully
 * without this file: every question is on the page and says in words when
 * it applies; the server decides what counts.
 *
 * - Questions and sections with a data-when attribute (a JSON condition
 *   written by src/intake/pages.c) are hidden while their condition does
 *   not hold. Hiding never clears an answer: the server drops answers to
 *   questions that do not apply. A question the server marked as wrong is
 *   never hidden, and a condition this script cannot read shows.
 * - The error summary, when there is one, gets the focus, and its links
 *   move the focus to the question they name.
 */
(function () {
	'use strict';

	var form = document.querySelector('form.intake');
	var summary = document.getElementById('error-summary');

	function parseDate(s) {
		var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);

		if (!m)
			return null;
		return Date.UTC(+m[1], +m[2] - 1, +m[3]);
	}

	function today() {
		var d = new Date();

		return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
	}

	/* Values of question q as the server would see them. */
	function values(q) {
		var els = form.querySelectorAll('[name="' + q + '"]');
		var out = [], i, el, v;

		for (i = 0; i < els.length; i++) {
			el = els[i];
			/* a hidden question is dropped, so it is absent */
			if (el.closest && el.closest('[hidden]'))
				continue;
			if (el.type === 'radio' || el.type === 'checkbox') {
				if (el.checked)
					out.push(el.value);
			} else {
				v = (el.value || '').replace(/^\s+|\s+$/g, '');
				if (v !== '')
					out.push(v);
			}
		}
		return out;
	}

	function number(q) {
		var v = values(q);

		if (v.length !== 1 || !/^-?\d+$/.test(v[0]))
			return null;
		return parseInt(v[0], 10);
	}

	function compare(a, cmp, b) {
		switch (cmp) {
		case 'lt': return a < b;
		case 'le': return a <= b;
		case 'eq': return a === b;
		case 'ge': return a >= b;
		case 'gt': return a > b;
		}
		return true;
	}

	function age(q) {
		var v = values(q), b, d, n;

		if (v.length !== 1 || parseDate(v[0]) === null)
			return null;
		b = v[0].split('-');
		d = new Date();
		n = d.getFullYear() - +b[0];
		if (d.getMonth() + 1 < +b[1] ||
		    (d.getMonth() + 1 === +b[1] && d.getDate() < +b[2]))
			n--;
		return n;
	}

	/* Evaluate a condition; absent answers never match (cond.h). */
	function holds(c) {
		var v, i, n, t;

		switch (c.op) {
		case 'yes':
			return values(c.q).indexOf('yes') >= 0;
		case 'in':
			v = values(c.q);
			for (i = 0; i < v.length; i++)
				if (c.v.indexOf(v[i]) >= 0)
					return true;
			return false;
		case 'eq':
			n = number(c.q);
			return n !== null && n === c.n;
		case 'answered':
			return values(c.q).length > 0;
		case 'cmp':
			n = number(c.q);
			return n !== null && compare(n, c.cmp, c.n);
		case 'days':
			v = values(c.q);
			t = v.length === 1 ? parseDate(v[0]) : null;
			if (t === null)
				return false;
			n = Math.round((today() - t) / 86400000);
			return n >= c.min && n <= c.max;
		case 'age':
			if (!c.q)
				return true;
			n = age(c.q);
			return n !== null && compare(n, c.cmp, c.n);
		case 'all':
			for (i = 0; i < c.c.length; i++)
				if (!holds(c.c[i]))
					return false;
			return true;
		case 'any':
			for (i = 0; i < c.c.length; i++)
				if (holds(c.c[i]))
					return true;
			return false;
		case 'not':
			return c.c.length > 0 && !holds(c.c[0]);
		}
		return true;
	}

	function update(conds) {
		var i, el, show;

		/* document order: a question depends only on earlier ones */
		for (i = 0; i < conds.length; i++) {
			el = conds[i].el;
			try {
				show = conds[i].cond === null ||
				    holds(conds[i].cond);
			} catch (e) {
				show = true;
			}
			if (!show && el.querySelector('[aria-invalid="true"], ' +
			    '.error-message'))
				show = true;
			el.hidden = !show;
		}
	}

	function setup() {
		var els, conds = [], i, cond;

		if (!form || !form.querySelectorAll)
			return;
		els = form.querySelectorAll('[data-when]');
		for (i = 0; i < els.length; i++) {
			try {
				cond = JSON.parse(els[i].getAttribute('data-when'));
			} catch (e) {
				cond = null;
			}
			conds.push({ el: els[i], cond: cond });
		}
		if (conds.length === 0)
			return;
		form.addEventListener('change', function () { update(conds); });
		form.addEventListener('input', function () { update(conds); });
		update(conds);
	}

	/* Summary links: focus the control, show its question from the top. */
	function summaryLinks() {
		var links = summary.querySelectorAll('a[href^="#"]'), i;

		function go(ev) {
			var id = this.getAttribute('href').slice(1);
			var target = document.getElementById(id);
			var q = target && target.closest ?
			    target.closest('.question') : null;

			if (!target)
				return;
			ev.preventDefault();
			if (q && q.scrollIntoView)
				q.scrollIntoView();
			target.focus({ preventScroll: true });
		}
		for (i = 0; i < links.length; i++)
			links[i].addEventListener('click', go);
	}

	setup();
	if (summary) {
		summaryLinks();
		if (document.activeElement !== summary)
			summary.focus();
	}
})();
