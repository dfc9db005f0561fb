/*
 * retention.h: when a patient's records may be deleted (api.md,
 * Administration): retention ends at the later of 10 years after the
 * patient's last visit (the last appointment, or the last intake when
 * there is none) and, for a minor, 10 years after their 18th birthday.
 * Pure calendar arithmetic on dates of the clinic's time zone; the
 * caller (intakectl purge) turns timestamps into those dates.
 */
#ifndef CORE_RETENTION_H
#define CORE_RETENTION_H

#define RETENTION_YEARS		10	/* after the last visit */
#define RETENTION_MAJORITY	18	/* a minor's records: after this birthday */

struct retention_date {
	int	 y, m, d;	/* proleptic Gregorian, 1..9999 */
};

/* Parse "YYYY-MM-DD", a date that exists. Returns 0, or -1. */
int	retention_date_parse(const char *, struct retention_date *);
/* "YYYY-MM-DD" into out (11 bytes). */
void	retention_date_format(const struct retention_date *, char out[11]);
/* <0, 0, >0 as a is before, on, after b. */
int	retention_date_cmp(const struct retention_date *,
	    const struct retention_date *);
/*
 * The anniversary n years after d. The anniversary of 29 February in a
 * year without one is 1 March: the later day, so a record is never
 * deleted early.
 */
struct retention_date retention_add_years(const struct retention_date *, int n);

/*
 * The last day of retention of a patient born dob whose last appointment
 * was last_appt (NULL when they have none) and last intake last_intake
 * (NULL when none either: then only the birthday rule applies). The
 * records are due for deletion the day after (retention_due).
 */
void	retention_end(const struct retention_date *dob,
	    const struct retention_date *last_appt,
	    const struct retention_date *last_intake,
	    struct retention_date *end);
/* 1 when today is past end: the records are due for deletion. */
int	retention_due(const struct retention_date *end,
	    const struct retention_date *today);

#endif
